/** Progress output of long CLI runs: a bar on a terminal, JSON lines otherwise. */
import { createProgressReporter, formatDuration, ProgressReporter, ProgressStream } from '../../lib/reproduce/progress';

class CapturedStream implements ProgressStream {
  chunks: string[] = [];
  constructor(
    readonly isTTY: boolean,
    readonly columns = 100,
  ) {}
  write(chunk: string): boolean {
    this.chunks.push(chunk);
    return true;
  }
  get output(): string {
    return this.chunks.join('');
  }
}

/** A clock the test moves by hand. */
function clock(start = Date.UTC(2024, 4, 1)) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

describe('JSON lines (stderr is not a TTY)', () => {
  test('auto mode picks JSON lines; each line is an object with the event, context and timing', () => {
    const stream = new CapturedStream(false);
    const time = clock();
    const reporter = createProgressReporter({ stream, label: 'reproduce', now: time.now });
    expect(reporter.mode).toBe('json');
    const onProgress = reporter.withContext({ dataset: 'mnist', seed: 0 });
    onProgress({ phase: 'unlearn', step: 0, total: 10 });
    time.advance(10_000);
    onProgress({ phase: 'unlearn', step: 5, total: 10, loss: 0.25 });
    const lines = stream.output.trimEnd().split('\n').map((line) => JSON.parse(line));
    expect(lines).toEqual([
      { time: '2024-05-01T00:00:00.000Z', label: 'reproduce', dataset: 'mnist', seed: 0, phase: 'unlearn', step: 0, total: 10, elapsedSeconds: 0 },
      {
        time: '2024-05-01T00:00:10.000Z', label: 'reproduce', dataset: 'mnist', seed: 0,
        phase: 'unlearn', step: 5, total: 10, loss: 0.25, elapsedSeconds: 10, etaSeconds: 10,
      },
    ]);
  });

  test('within a phase, at most one line a second; first, last and phase changes always', () => {
    const stream = new CapturedStream(false);
    const time = clock();
    const reporter = new ProgressReporter({ stream, now: time.now });
    for (let step = 0; step <= 100; step += 1) {
      reporter.update({ phase: 'train', step, total: 100 });
      time.advance(30);
    }
    reporter.update({ phase: 'evaluate', step: 1, total: 2 });
    const lines = stream.output.trimEnd().split('\n').map((line) => JSON.parse(line));
    // Steps at 0 ms, then every 34th step (34 × 30 ms ≥ 1000 ms), the last, the new phase.
    expect(lines.map((line) => [line.phase, line.step])).toEqual([
      ['train', 0], ['train', 34], ['train', 68], ['train', 100], ['evaluate', 1],
    ]);
  });

  test('messages are JSON lines too', () => {
    const stream = new CapturedStream(false);
    const reporter = new ProgressReporter({ stream, now: clock().now });
    reporter.message('finished run', { method: 'camu', seed: 3 });
    expect(JSON.parse(stream.output)).toEqual({ time: '2024-05-01T00:00:00.000Z', method: 'camu', seed: 3, message: 'finished run' });
  });
});

describe('progress bar (stderr is a TTY)', () => {
  test('auto mode picks the bar; it redraws one line with percentage, counts, time and values', () => {
    const stream = new CapturedStream(true, 100);
    const time = clock();
    const reporter = createProgressReporter({ stream, label: 'camu', now: time.now });
    expect(reporter.mode).toBe('bar');
    reporter.update({ phase: 'train', step: 0, total: 10 });
    time.advance(10_000);
    reporter.update({ phase: 'train', step: 5, total: 10, loss: 0.123456 });
    const last = stream.chunks[stream.chunks.length - 1];
    expect(last.startsWith('\r\x1b[2K')).toBe(true);
    const line = last.slice('\r\x1b[2K'.length);
    expect(line).toMatch(/^camu train \[(█+)(░+)\] 50% 5\/10 {2}0:10<0:10 {2}loss 0\.1235$/);
    const [, full, empty] = /\[(█+)(░+)\]/.exec(line) as RegExpExecArray;
    expect(full.length).toBe(empty.length);
    expect(line.length).toBeLessThan(100);
    expect(stream.output).not.toContain('\n');
  });

  test('the last step ends the line; a new phase starts a new one', () => {
    const stream = new CapturedStream(true);
    const time = clock();
    const reporter = new ProgressReporter({ stream, now: time.now });
    reporter.update({ phase: 'train', step: 10, total: 10 });
    expect(stream.output.endsWith('100% 10/10  0:00\n')).toBe(true);
    reporter.update({ phase: 'unlearn', step: 1, total: 4 });
    reporter.update({ phase: 'evaluate', step: 1, total: 4 });
    // The unfinished 'unlearn' line is kept (newline) before 'evaluate' starts.
    expect(stream.output.split('\n')).toHaveLength(3);
    reporter.close();
    expect(stream.output.endsWith('\n')).toBe(true);
  });

  test('redraws at most every 100 ms within a phase', () => {
    const stream = new CapturedStream(true);
    const time = clock();
    const reporter = new ProgressReporter({ stream, now: time.now });
    for (let step = 0; step < 10; step += 1) {
      reporter.update({ phase: 'train', step, total: 1000 });
      time.advance(40);
    }
    expect(stream.chunks).toHaveLength(4); // 0, 120, 240, 360 ms
  });

  test('a message is printed above the bar, which is redrawn', () => {
    const stream = new CapturedStream(true);
    const reporter = new ProgressReporter({ stream, now: clock().now });
    reporter.withContext({ seed: 1 })({ phase: 'train', step: 1, total: 4 });
    const bar = stream.chunks[0].slice('\r\x1b[2K'.length);
    expect(bar.startsWith('seed 1 train [')).toBe(true);
    reporter.message('cached original model', { seed: 1 });
    expect(stream.chunks.slice(1)).toEqual(['\r\x1b[2Kcached original model seed 1\n', bar]);
  });

  test('concurrent jobs: each phase keeps its own timing and the line is redrawn, not ended', () => {
    const stream = new CapturedStream(true);
    const time = clock();
    const reporter = new ProgressReporter({ stream, now: time.now });
    const seed0 = reporter.withContext({ seed: 0 });
    const seed1 = reporter.withContext({ seed: 1 });
    seed0({ phase: 'train', step: 0, total: 100 });
    time.advance(5_000);
    seed1({ phase: 'train', step: 0, total: 100 });
    time.advance(5_000);
    seed0({ phase: 'train', step: 50, total: 100 });
    // seed 0 started 10 s ago and is half done: 10 s left, though seed 1 started since.
    expect(stream.chunks[stream.chunks.length - 1]).toMatch(/^\r\x1b\[2Kseed 0 train .* 50% 50\/100 {2}0:10<0:10$/);
    time.advance(5_000);
    seed1({ phase: 'train', step: 50, total: 100 });
    expect(stream.chunks[stream.chunks.length - 1]).toMatch(/seed 1 train .* 0:10<0:10$/);
    expect(stream.output).not.toContain('\n');
    seed0({ phase: 'train', step: 100, total: 100 });
    expect(stream.output.endsWith('100% 100/100  0:15\n')).toBe(true);
  });

  test('long lines are cut to the terminal width', () => {
    const stream = new CapturedStream(true, 40);
    const reporter = new ProgressReporter({ stream, now: clock().now });
    reporter.update({ phase: 'a-very-long-phase-name', step: 1, total: 3, loss: 1.5, accuracy: 0.5, note: 'x'.repeat(50) });
    const line = stream.output.slice('\r\x1b[2K'.length);
    expect(line.length).toBeLessThan(40);
    expect(line.endsWith('…')).toBe(true);
  });
});

test('silent mode writes nothing; an unknown mode is a RangeError', () => {
  const stream = new CapturedStream(true);
  const reporter = new ProgressReporter({ stream, mode: 'silent' });
  reporter.update({ phase: 'train', step: 1, total: 1 });
  reporter.message('x');
  reporter.close();
  expect(stream.output).toBe('');
  expect(() => new ProgressReporter({ stream, mode: 'fancy' as never })).toThrow(/options\.mode must be auto, bar, json or silent, got 'fancy'/);
});

test('explicit modes override the stream', () => {
  expect(new ProgressReporter({ stream: new CapturedStream(true), mode: 'json' }).mode).toBe('json');
  expect(new ProgressReporter({ stream: new CapturedStream(false), mode: 'bar' }).mode).toBe('bar');
});

test('formatDuration', () => {
  expect(formatDuration(0)).toBe('0:00');
  expect(formatDuration(65.4)).toBe('1:05');
  expect(formatDuration(3725)).toBe('1:02:05');
});
