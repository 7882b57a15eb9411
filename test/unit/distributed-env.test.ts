/** The rendezvous variables (lib/distributed.ts) and launch's usage errors, without the addon. */
import { distributedFromEnv, isWritingRank, resolveDistributed } from '../../lib/distributed';
import { main } from '../../lib/cli/commands';
import { rankEnvironment } from '../../lib/cli/launch';
import { CliIo } from '../../lib/cli/output';

test('WORLD_SIZE unset or 1 means one process; otherwise the variables make the rendezvous', () => {
  expect(distributedFromEnv({})).toBeUndefined();
  expect(distributedFromEnv({ WORLD_SIZE: '1', RANK: '0' })).toBeUndefined();
  expect(distributedFromEnv({ WORLD_SIZE: '4', RANK: '3', MASTER_ADDR: '10.0.0.1', MASTER_PORT: '29501', CAMU_DISTRIBUTED_TIMEOUT: '7.5' })).toEqual({
    masterAddr: '10.0.0.1',
    masterPort: 29501,
    worldSize: 4,
    rank: 3,
    timeoutSeconds: 7.5,
  });
  expect(distributedFromEnv({ WORLD_SIZE: '2', RANK: '1' })).toMatchObject({ masterAddr: undefined, masterPort: undefined, rank: 1, backend: undefined });
  expect(distributedFromEnv({ WORLD_SIZE: '2', RANK: '1', CAMU_DISTRIBUTED_BACKEND: 'gloo' })).toMatchObject({ backend: 'gloo' });
});

test('bad variables are errors that name them', () => {
  expect(() => distributedFromEnv({ WORLD_SIZE: '2' })).toThrow('WORLD_SIZE is set but RANK is not');
  expect(() => distributedFromEnv({ WORLD_SIZE: 'two', RANK: '0' })).toThrow("WORLD_SIZE must be a non-negative whole number, got 'two'");
  expect(() => distributedFromEnv({ WORLD_SIZE: '2', RANK: '0', CAMU_DISTRIBUTED_TIMEOUT: '0' })).toThrow('CAMU_DISTRIBUTED_TIMEOUT');
  expect(() => distributedFromEnv({ WORLD_SIZE: '2', RANK: '0', CAMU_DISTRIBUTED_BACKEND: 'mpi' })).toThrow(
    "CAMU_DISTRIBUTED_BACKEND must be one of auto, gloo, nccl, got 'mpi'",
  );
});

test('rank 0 (or a single process) writes; explicit options pass through', () => {
  expect(isWritingRank(undefined)).toBe(true);
  expect(isWritingRank({ worldSize: 2, rank: 0 })).toBe(true);
  expect(isWritingRank({ worldSize: 2, rank: 1 })).toBe(false);
  expect(resolveDistributed({ worldSize: 2, rank: 1, masterPort: 1234 }, 'train')).toEqual({ worldSize: 2, rank: 1, masterPort: 1234 });
  expect(() => resolveDistributed(3 as never, 'train')).toThrow("train: options.distributed must be an object or 'env'");
});

test('camu launch refuses a missing or unsupported command before starting any rank', async () => {
  const run = async (argv: string[]) => {
    const err: string[] = [];
    const io: CliIo = { stdout: { write: () => true, isTTY: false }, stderr: { write: (chunk: string) => err.push(chunk) } };
    return { status: await main(argv, io), stderr: err.join('') };
  };
  expect(await run(['launch', '-n', '2'])).toMatchObject({ status: 2 });
  const evaluate = await run(['launch', '-n', '2', '--', 'evaluate', '--model', 'm.safetensors']);
  expect(evaluate.status).toBe(2);
  expect(evaluate.stderr).toContain("launch runs train, unlearn, reproduce, audit across ranks, not 'evaluate'");
  expect(evaluate.stderr).not.toContain('pid');
  const zero = await run(['launch', '-n', '0', '--', 'train']);
  expect(zero.status).toBe(2);
  expect(zero.stderr).toContain('--ranks must be at least 1');
});

test('--check-every needs ranks to compare, and a step count of at least 1', async () => {
  const run = async (argv: string[]) => {
    const err: string[] = [];
    const io: CliIo = { stdout: { write: () => true, isTTY: false }, stderr: { write: (chunk: string) => err.push(chunk) } };
    return { status: await main(argv, io), stderr: err.join('') };
  };
  const saved = process.env.WORLD_SIZE;
  delete process.env.WORLD_SIZE;
  try {
    const alone = await run(['train', '--dataset', 'mnist', '--out', 'never.safetensors', '--check-every', '5']);
    expect(alone.status).toBe(2);
    expect(alone.stderr).toContain("--check-every compares the ranks' weights: it applies under camu launch (WORLD_SIZE above 1)");
    const zero = await run(['unlearn', '--model', 'm.safetensors', '--dataset', 'mnist', '--scenario', 'class:0', '--out', 'never.safetensors', '--check-every', '0']);
    expect(zero.status).toBe(2);
    expect(zero.stderr).toContain('--check-every must be at least 1, got 0');
  } finally {
    if (saved !== undefined) process.env.WORLD_SIZE = saved;
  }
});

test("launch gives each rank the rendezvous, the backend, and its own GPU when there is one per rank", () => {
  const settings = { ranks: 2, timeoutSeconds: 30, backend: 'nccl' as const, gpus: 2, command: ['train'] };
  expect(rankEnvironment(settings, 1, 29511, 4, { PATH: '/bin' })).toEqual({
    PATH: '/bin',
    MASTER_ADDR: '127.0.0.1',
    MASTER_PORT: '29511',
    WORLD_SIZE: '2',
    RANK: '1',
    LOCAL_RANK: '1',
    CAMU_NUM_THREADS: '4',
    CAMU_DISTRIBUTED_TIMEOUT: '30',
    CAMU_DISTRIBUTED_BACKEND: 'nccl',
    CUDA_VISIBLE_DEVICES: '1',
  });
  // Fewer GPUs than ranks, or GPUs the user chose: the devices are left alone.
  expect(rankEnvironment({ ...settings, gpus: 1 }, 1, 29511, 4, {}).CUDA_VISIBLE_DEVICES).toBeUndefined();
  expect(rankEnvironment(settings, 1, 29511, 4, { CUDA_VISIBLE_DEVICES: '3,5' }).CUDA_VISIBLE_DEVICES).toBe('3,5');
  expect(rankEnvironment({ ...settings, backend: undefined }, 0, 29511, 4, {})).not.toHaveProperty('CAMU_DISTRIBUTED_BACKEND');
});
