/** Long native jobs run off the main thread, report progress, and abort cleanly. */
import { AbortError, measureThroughput, measureThroughputSync } from '../../lib';

// A matmul of this size takes tens of milliseconds here; enough iterations make a multi-second job.
const slowJob = { op: 'matmul' as const, size: 768, iterations: 100000 };

describe('async native jobs', () => {
  it('keeps the event loop free while a multi-second job runs', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    const controller = new AbortController();
    const job = measureThroughput({ ...slowJob, signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 2000));
    controller.abort();
    await expect(job).rejects.toMatchObject({ name: 'AbortError', code: 'ABORT_ERR' });
    clearInterval(timer);
    // 2 s of 10 ms ticks: a blocked loop would have fired at most a handful.
    expect(ticks).toBeGreaterThan(50);
  });

  it('rejects with an AbortError carrying the signal reason, and leaves no work behind', async () => {
    const controller = new AbortController();
    const steps: number[] = [];
    const job = measureThroughput({
      ...slowJob,
      signal: controller.signal,
      onProgress: (p) => {
        steps.push(p.step);
        if (p.step === 3) controller.abort(new Error('user cancelled'));
      },
    });
    const error = await job.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AbortError);
    expect((error as AbortError).cause).toEqual(new Error('user cancelled'));
    // The job stopped within a step or two of the abort, far from its 100000 iterations.
    expect(steps.length).toBeLessThan(10);
    // Settled means the worker returned: no native work or thread-safe function is left active.
    const active = (process as any).getActiveResourcesInfo() as string[];
    expect(active.filter((name) => /ThreadSafe|Work|camu/i.test(name))).toEqual([]);
  });

  it('rejects at once when the signal is already aborted', async () => {
    await expect(measureThroughput({ ...slowJob, signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortError);
  });

  it('delivers every progress step in order before resolving', async () => {
    const steps: number[] = [];
    const result = await measureThroughput({
      op: 'conv',
      size: 8,
      iterations: 25,
      onProgress: (p) => {
        expect(p.phase).toBe('throughput');
        expect(p.total).toBe(25);
        expect(p.gflops).toBeGreaterThan(0);
        steps.push(p.step);
      },
    });
    expect(steps).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    expect(result.iterations).toBe(25);
    expect(result.flopsPerIteration).toBe(2 * 32 * 32 * 8 * 8 * 16 * 5 * 5);
    expect(result.gflops).toBeGreaterThan(0);
  });

  it('rejects with the error an onProgress callback throws, and stops the job', async () => {
    const boom = new Error('callback failed');
    let calls = 0;
    const job = measureThroughput({
      ...slowJob,
      onProgress: () => {
        calls++;
        throw boom;
      },
    });
    await expect(job).rejects.toBe(boom);
    expect(calls).toBe(1);
  });

  it('runs many jobs at once and settles each', async () => {
    const results = await Promise.all(
      Array.from({ length: 6 }, () => measureThroughput({ op: 'matmul', size: 64, iterations: 3 })),
    );
    expect(results.map((r) => r.iterations)).toEqual([3, 3, 3, 3, 3, 3]);
  });

  it('validates options in TypeScript before starting', () => {
    expect(() => measureThroughput({ signal: 'stop' as any })).toThrow(TypeError);
    expect(() => measureThroughput({ onProgress: 1 as any })).toThrow(TypeError);
  });

  it('has a synchronous twin with the same result shape', () => {
    const result = measureThroughputSync({ op: 'matmul', size: 32, iterations: 2 });
    expect(result).toMatchObject({ op: 'matmul', size: 32, iterations: 2, flopsPerIteration: 2 * 32 ** 3 });
  });
});
