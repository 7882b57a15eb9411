/**
 * Data-parallel training across processes (docs/distributed.md), through the built command line:
 * `camu launch -n 2 -- train` gives the weights one process gives with the same global batch (to
 * float rounding), and a rank that dies mid-run makes the others fail within the timeout with no
 * output file left. Needs `npm run build:ts` (the ranks run dist/cli/index.js) and an addon built
 * with distributed support (info().distributed.available).
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createModel, info, loadWeightsSync } from '../../lib';
import { freePort } from '../../lib/cli/launch';
import { idxSplit, removeTempDirs, tempDir, writeIdxDir } from '../helpers/data-fixtures';
import { packageRoot } from '../helpers/paths';

const cli = path.join(packageRoot, 'dist', 'cli', 'index.js');
const available = info().distributed.available;
const maybe = available ? test : test.skip;

jest.setTimeout(240_000);

interface Finished {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

/** Starts the CLI; `finished` settles when it exits. */
function start(args: string[], env: NodeJS.ProcessEnv = {}): { child: ChildProcess; finished: Promise<Finished>; stderr: () => string } {
  const begun = Date.now();
  const child = spawn(process.execPath, [cli, ...args], { env: { ...process.env, CAMU_NUM_THREADS: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => (stdout += chunk));
  child.stderr?.on('data', (chunk) => (stderr += chunk));
  const finished = new Promise<Finished>((resolve) =>
    child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr, seconds: (Date.now() - begun) / 1000 })),
  );
  return { child, finished, stderr: () => stderr };
}

async function waitFor(condition: () => boolean, what: string, seconds = 120): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function weights(file: string): Record<string, Float32Array> {
  const model = loadWeightsSync(createModel({ architecture: 'cnn' }), file);
  return Object.fromEntries(Object.entries(model.stateTensors()).map(([key, t]) => [key, t.toTypedArray() as Float32Array]));
}

let root: string;
let data: string;
beforeAll(() => {
  root = tempDir('distributed');
  data = path.join(root, 'idx');
  fs.mkdirSync(data);
  const labels = (n: number) => Array.from({ length: n }, (_, i) => (i * 7) % 10);
  // 400 samples: batches of 32 and a short last one of 16.
  writeIdxDir(data, idxSplit(labels(400), 28, 28, 5), idxSplit(labels(100), 28, 28, 6));
});
afterAll(removeTempDirs);

test('info() says whether distributed training is available, and why not', () => {
  const { distributed } = info();
  if (distributed.available) {
    // NCCL only in CUDA builds whose libtorch has it; ncclReason says why not.
    expect(distributed.backends).toEqual(distributed.ncclReason === undefined ? ['gloo', 'nccl'] : ['gloo']);
    if (info().variant === 'cpu') expect(distributed.ncclReason).toMatch(/CPU build/);
    expect(distributed.reason).toBeUndefined();
  } else {
    expect(distributed.backends).toEqual([]);
    expect(distributed.reason).toMatch(/\w/);
  }
});

maybe('camu launch -n 2 -- train gives the weights of one process with the same global batch', async () => {
  const single = path.join(root, 'single.safetensors');
  const parallel = path.join(root, 'parallel', 'model.safetensors');
  const common = ['--dataset', 'mnist', '--dir', data, '--epochs', '2', '--seed', '3', '--json'];
  const one = await start(['train', ...common, '--out', single]).finished;
  expect(one.stderr).not.toContain('error');
  expect(one.status).toBe(0);
  // --check-every 5: the ranks compare their weights and Adam state every 5 steps (they agree).
  const two = await start(['launch', '-n', '2', '--threads-per-rank', '1', '--', 'train', ...common, '--check-every', '5', '--out', parallel]).finished;
  expect(two.status).toBe(0);
  expect(two.stderr).toMatch(/rank 0: pid \d+/);
  expect(two.stderr).toMatch(/rank 1: pid \d+/);
  // Only rank 0 prints the summary (and writes the file).
  const summary = JSON.parse(two.stdout.replace(/^\[rank 0\] /gm, ''));
  expect(summary).toMatchObject({ out: parallel, ranks: 2, steps: 26 });
  expect(summary.allReduceSeconds).toBeGreaterThan(0);
  const a = weights(single);
  const b = weights(parallel);
  expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
  let largest = 0;
  for (const key of Object.keys(a)) {
    for (let i = 0; i < a[key].length; i++) {
      largest = Math.max(largest, Math.abs(a[key][i] - b[key][i]) / Math.max(1, Math.abs(a[key][i])));
    }
  }
  // Training did move the weights from their initialisation (train's --seed seeds both).
  let moved = 0;
  const initial = createModel({ architecture: 'cnn', numClasses: 10, seed: 3 }).stateTensors();
  for (const key of Object.keys(initial)) {
    const before = initial[key].toTypedArray() as Float32Array;
    for (let i = 0; i < before.length; i++) moved = Math.max(moved, Math.abs(before[i] - a[key][i]));
  }
  expect(largest).toBeLessThan(1e-4);
  expect(moved).toBeGreaterThan(1e-3);
});

const eachMethod = available ? test.each : test.skip.each;
eachMethod([['camu', []], ['finetune', ['--epochs', '1']], ['scrub', ['--epochs', '2', '--learning-rate', '0.001']]])(
  'camu launch -n 2 -- unlearn --method %s gives the model one process gives', async (method, settings) => {
  const original = path.join(root, 'unlearn-original.safetensors');
  if (!fs.existsSync(original)) {
    expect((await start(['train', '--dataset', 'mnist', '--dir', data, '--epochs', '1', '--out', original]).finished).status).toBe(0);
  }
  const common = ['--model', original, '--dataset', 'mnist', '--dir', data, '--scenario', 'class:0', '--retain-floor', '0', '--method', method, ...(settings as string[]), '--json'];
  const single = path.join(root, `unlearn-${method}-single.safetensors`);
  const parallel = path.join(root, `unlearn-${method}-parallel.safetensors`);
  const one = await start(['unlearn', ...common, '--out', single]).finished;
  expect(one.status).toBe(0);
  const two = await start(['launch', '-n', '2', '--threads-per-rank', '1', '--', 'unlearn', ...common, '--check-every', '3', '--out', parallel]).finished;
  expect(two.stderr).not.toContain('ERR_');
  expect(two.status).toBe(0);
  expect(JSON.parse(two.stdout.replace(/^\[rank 0\] /gm, ''))).toMatchObject({ out: parallel, method });
  const a = weights(single);
  const b = weights(parallel);
  const before = weights(original);
  let largest = 0;
  let moved = 0;
  for (const key of Object.keys(a)) {
    for (let i = 0; i < a[key].length; i++) {
      largest = Math.max(largest, Math.abs(a[key][i] - b[key][i]) / Math.max(1, Math.abs(a[key][i])));
      moved = Math.max(moved, Math.abs(a[key][i] - before[key][i]));
    }
  }
  expect(largest).toBeLessThan(1e-4);
  expect(moved).toBeGreaterThan(1e-3);
  },
);

maybe('a rank killed mid-run makes the other exit non-zero with ERR_CAMU_DISTRIBUTED within the timeout, writing nothing', async () => {
  const out = path.join(root, 'killed', 'model.safetensors');
  const port = String(await freePort());
  const timeout = 20;
  const args = ['train', '--dataset', 'mnist', '--dir', data, '--epochs', '500', '--out', out];
  const env = (rank: number) => ({ MASTER_ADDR: '127.0.0.1', MASTER_PORT: port, WORLD_SIZE: '2', RANK: String(rank), CAMU_DISTRIBUTED_TIMEOUT: String(timeout) });
  const rank0 = start(args, env(0));
  const rank1 = start(args, env(1));
  await waitFor(() => /"label":"train"/.test(rank1.stderr()) && /"step":[1-9]/.test(rank1.stderr()), "rank 1's first steps");
  const killedAt = Date.now();
  rank1.child.kill('SIGKILL');
  const survivor = await rank0.finished;
  expect(survivor.status).toBe(1);
  expect(survivor.stderr).toContain('ERR_CAMU_DISTRIBUTED');
  expect(survivor.stderr).toMatch(/rank 0 of 2: all-reduce of the step's gradients failed/);
  expect((Date.now() - killedAt) / 1000).toBeLessThan(timeout + 5);
  expect(fs.existsSync(out)).toBe(false);
  expect(fs.existsSync(path.dirname(out)) ? fs.readdirSync(path.dirname(out)) : []).toEqual([]);
  await rank1.finished;
});

maybe('a rank that hangs makes the other fail once the timeout has passed', async () => {
  const out = path.join(root, 'hung', 'model.safetensors');
  const port = String(await freePort());
  const timeout = 5;
  const args = ['train', '--dataset', 'mnist', '--dir', data, '--epochs', '500', '--out', out];
  const env = (rank: number) => ({ MASTER_ADDR: '127.0.0.1', MASTER_PORT: port, WORLD_SIZE: '2', RANK: String(rank), CAMU_DISTRIBUTED_TIMEOUT: String(timeout) });
  const rank0 = start(args, env(0));
  const rank1 = start(args, env(1));
  try {
    await waitFor(() => /"step":[1-9]/.test(rank1.stderr()), "rank 1's first steps");
    const stoppedAt = Date.now();
    rank1.child.kill('SIGSTOP');
    const survivor = await rank0.finished;
    const seconds = (Date.now() - stoppedAt) / 1000;
    expect(survivor.status).toBe(1);
    expect(survivor.stderr).toContain(`did not answer within ${timeout} s`);
    expect(survivor.stderr).toContain('ERR_CAMU_DISTRIBUTED');
    expect(seconds).toBeGreaterThan(timeout - 1);
    expect(seconds).toBeLessThan(timeout + 10);
    expect(fs.existsSync(out)).toBe(false);
  } finally {
    rank1.child.kill('SIGKILL');
    await rank1.finished;
  }
});

maybe('camu launch stops the other ranks and exits non-zero when one dies, writing nothing', async () => {
  const out = path.join(root, 'launch-killed', 'model.safetensors');
  const run = start(['launch', '-n', '2', '--timeout', '20', '--', 'train', '--dataset', 'mnist', '--dir', data, '--epochs', '500', '--out', out]);
  await waitFor(() => /\[rank 1\] .*"step":[1-9]/.test(run.stderr()), "rank 1's first steps");
  const pid = Number(/rank 1: pid (\d+)/.exec(run.stderr())?.[1]);
  expect(pid).toBeGreaterThan(0);
  process.kill(pid, 'SIGKILL');
  const finished = await run.finished;
  expect(finished.status).not.toBe(0);
  expect(finished.stderr).toContain('camu launch: rank 1 was killed by SIGKILL; stopping the other ranks');
  expect(finished.seconds).toBeLessThan(200);
  expect(fs.existsSync(out)).toBe(false);
});

maybe("camu launch --backend reaches every rank: nccl is refused for a CPU model, naming why, before any step", async () => {
  const out = path.join(root, 'nccl', 'model.safetensors');
  const run = await start(['launch', '-n', '2', '--backend', 'nccl', '--', 'train', '--dataset', 'mnist', '--dir', data, '--epochs', '1', '--out', out]).finished;
  expect(run.status).not.toBe(0);
  const why = info().distributed.ncclReason === undefined ? "backend 'nccl' needs a model on CUDA" : "'nccl' is not in this build";
  expect(run.stderr).toContain(why);
  expect(run.stderr).toContain('ERR_CAMU_UNSUPPORTED');
  expect(run.stderr).not.toMatch(/"step":[1-9]/);
  expect(fs.existsSync(out)).toBe(false);
  // And an explicit gloo is what auto picks on the CPU.
  const gloo = path.join(root, 'gloo', 'model.safetensors');
  const ok = await start(['launch', '-n', '2', '--backend', 'gloo', '--', 'train', '--dataset', 'mnist', '--dir', data, '--epochs', '1', '--out', gloo]).finished;
  expect(ok.status).toBe(0);
  expect(fs.existsSync(gloo)).toBe(true);
});
