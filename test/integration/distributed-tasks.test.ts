/**
 * Task parallelism across processes (docs/distributed.md, "Independent work"), through the built
 * command line: `camu launch -n 2 -- reproduce` shares the (dataset, seed) units between the ranks
 * and gives the runs one process gives, a rerun resumes, a rank killed mid-run makes the other fail
 * with ERR_CAMU_DISTRIBUTED within the timeout and no results file; `camu launch -n 2 -- audit`
 * shares the reference models and gives the audit one process gives. Needs `npm run build:ts` and
 * an addon built with distributed support.
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { info, reproduce as report } from '../../lib';
import { freePort } from '../../lib/cli/launch';
import { idxSplit, removeTempDirs, tempDir, writeIdxDir } from '../helpers/data-fixtures';
import { packageRoot } from '../helpers/paths';

const cli = path.join(packageRoot, 'dist', 'cli', 'index.js');
const available = info().distributed.available;
const maybe = available ? test : test.skip;

jest.setTimeout(400_000);

interface Finished {
  status: number | null;
  stdout: string;
  stderr: string;
}

function start(args: string[], env: NodeJS.ProcessEnv = {}): { child: ChildProcess; finished: Promise<Finished>; stderr: () => string } {
  const child = spawn(process.execPath, [cli, ...args], { env: { ...process.env, CAMU_NUM_THREADS: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => (stdout += chunk));
  child.stderr?.on('data', (chunk) => (stderr += chunk));
  const finished = new Promise<Finished>((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr })));
  return { child, finished, stderr: () => stderr };
}

async function waitFor(condition: () => boolean, what: string, seconds = 200): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

let root: string;
let data: string;
beforeAll(() => {
  root = tempDir('distributed-tasks');
  data = path.join(root, 'idx');
  fs.mkdirSync(data);
  const labels = (n: number) => Array.from({ length: n }, (_, i) => (i * 7) % 10);
  writeIdxDir(data, idxSplit(labels(300), 28, 28, 5), idxSplit(labels(120), 28, 28, 6));
});
afterAll(removeTempDirs);

// Two (dataset, seed) units: one per rank.
const reproduceArgs = (out: string, seeds = '0,1') => [
  'reproduce', '--out', out, '--datasets', 'mnist', '--mnist-dir', data, '--scenarios', 'class', '--seeds', seeds,
  '--methods', 'original,camu', '--epochs', '1', '--camu-epochs', '1', '--relearn-steps', '10', '--relearn-interval', '10', '--json',
];

const accuracies = (results: report.ResultsFile) =>
  results.runs.map((run) => [run.seed, run.method, run.metrics['acc.retain'], run.metrics['acc.forget'], run.metrics['acc.test']]).sort();

maybe('camu launch -n 2 -- reproduce shares the units, gives the runs of one process, and a rerun resumes', async () => {
  const single = path.join(root, 'reproduce-single');
  const one = await start(reproduceArgs(single)).finished;
  expect(one.status).toBe(0);
  const parallel = path.join(root, 'reproduce-parallel');
  const two = await start(['launch', '-n', '2', '--threads-per-rank', '1', '--', ...reproduceArgs(parallel)]).finished;
  expect(two.stderr).not.toContain('ERR_');
  expect(two.status).toBe(0);
  // Rank 0 alone prints the summary; each rank ran one unit.
  expect(two.stdout).not.toMatch(/^\[rank 1\]/m);
  const summary = JSON.parse(two.stdout.replace(/^\[rank 0\] /gm, ''));
  expect(summary).toMatchObject({ ranks: 2, failed: [] });
  expect(summary.ran).toEqual(['mnist/class/0/camu', 'mnist/class/0/original', 'mnist/class/1/camu', 'mnist/class/1/original']);
  expect(two.stderr).toMatch(/\[rank 0\] .*finished mnist\/class\/\d\/camu/);
  expect(two.stderr).toMatch(/\[rank 1\] .*finished mnist\/class\/\d\/camu/);

  const a = await report.readResults(path.join(single, 'results.json'));
  const b = await report.readResults(path.join(parallel, 'results.json'));
  expect(accuracies(b)).toEqual(accuracies(a));
  expect(b.runs).toHaveLength(4);
  expect(Object.keys(b.splits).sort()).toEqual(['mnist/class/0', 'mnist/class/1']);
  for (const file of Object.values(b.splits)) expect(fs.existsSync(path.join(parallel, file))).toBe(true);
  expect(fs.readFileSync(path.join(parallel, 'results.md'), 'utf8')).toContain('MNIST');
  expect(fs.readdirSync(path.join(parallel, 'cache', 'runs'))).toHaveLength(4);

  const again = await start(['launch', '-n', '2', '--threads-per-rank', '1', '--', ...reproduceArgs(parallel)]).finished;
  expect(again.status).toBe(0);
  const resumed = JSON.parse(again.stdout.replace(/^\[rank 0\] /gm, ''));
  expect(resumed.ran).toEqual([]);
  expect(resumed.skipped).toHaveLength(4);
  expect((await report.readResults(path.join(parallel, 'results.json'))).runs).toEqual(b.runs);
});

maybe('a rank killed mid-reproduce makes the other fail with ERR_CAMU_DISTRIBUTED within the timeout, writing no results; a rerun resumes', async () => {
  const out = path.join(root, 'reproduce-killed');
  const port = String(await freePort());
  const timeout = 8;
  // Six units: rank 1 is killed while it works on its first.
  const args = reproduceArgs(out, '0-5');
  const env = (rank: number) => ({ MASTER_ADDR: '127.0.0.1', MASTER_PORT: port, WORLD_SIZE: '2', RANK: String(rank), CAMU_DISTRIBUTED_TIMEOUT: String(timeout) });
  const rank0 = start(args, env(0));
  const rank1 = start(args, env(1));
  await waitFor(() => /"phase":"train"/.test(rank1.stderr()) || /"step":[1-9]/.test(rank1.stderr()), "rank 1's first training steps");
  const killedAt = Date.now();
  rank1.child.kill('SIGKILL');
  const survivor = await rank0.finished;
  const seconds = (Date.now() - killedAt) / 1000;
  expect(survivor.status).toBe(1);
  expect(survivor.stderr).toContain('ERR_CAMU_DISTRIBUTED');
  expect(survivor.stderr).toMatch(/rank 0 of 2: .*rank 1 showed no sign of life for 8 s/);
  expect(seconds).toBeLessThan(timeout + 15);  // within the timeout, plus the step that was running
  expect(fs.existsSync(path.join(out, 'results.json'))).toBe(false);
  expect(fs.existsSync(path.join(out, 'results.md'))).toBe(false);
  await rank1.finished;
  // What rank 0 finished is in the run cache: the rerun (one process) takes it from there.
  const kept = fs.existsSync(path.join(out, 'cache', 'runs')) ? fs.readdirSync(path.join(out, 'cache', 'runs')) : [];
  const rerun = await start(['launch', '-n', '2', '--threads-per-rank', '1', '--', ...args]).finished;
  expect(rerun.status).toBe(0);
  const summary = JSON.parse(rerun.stdout.replace(/^\[rank 0\] /gm, ''));
  expect(summary.skipped).toHaveLength(kept.length);
  expect(summary.ran.length + summary.skipped.length).toBe(12);
  expect((await report.readResults(path.join(out, 'results.json'))).runs).toHaveLength(12);
});

maybe('camu launch -n 2 -- audit shares the reference models and gives the audit of one process', async () => {
  const model = path.join(root, 'audit-model.safetensors');
  const split = path.join(root, 'audit-split.json');
  const common = ['--dataset', 'mnist', '--dir', data];
  expect((await start(['train', ...common, '--epochs', '1', '--out', model]).finished).status).toBe(0);
  const unlearned = path.join(root, 'audit-unlearned.safetensors');
  const made = await start(['unlearn', ...common, '--model', model, '--scenario', 'class:0', '--retain-floor', '0', '--save-split', split, '--out', unlearned]).finished;
  expect(made.status).toBe(0);
  const args = (out: string) => ['audit', ...common, '--model', unlearned, '--split', split, '--references', '4', '--epochs', '1', '--max-rows', '40', '--out', out, '--json'];
  const singleOut = path.join(root, 'audit-single');
  expect((await start(args(singleOut)).finished).status).toBe(0);
  const parallelOut = path.join(root, 'audit-parallel');
  const two = await start(['launch', '-n', '2', '--threads-per-rank', '1', '--', ...args(parallelOut)]).finished;
  expect(two.stderr).not.toContain('ERR_');
  expect(two.status).toBe(0);
  const a = JSON.parse(fs.readFileSync(path.join(singleOut, 'audit.json'), 'utf8'));
  const b = JSON.parse(fs.readFileSync(path.join(parallelOut, 'audit.json'), 'utf8'));
  // The same references (each trained by one rank, the same seed): the same scores and AUCs.
  expect(b.forgetVsTest.auc).toBe(a.forgetVsTest.auc);
  expect(b.retainVsTest.auc).toBe(a.retainVsTest.auc);
  expect(b.references.count).toBe(4);
  // Each rank trained some of them.
  expect(new Set(b.references.ranks)).toEqual(new Set([0, 1]));
  expect(a.references.ranks).toBeUndefined();
  // Both ranks trained references: each holds some in its cache under the same folder.
  expect(fs.readdirSync(path.join(parallelOut, 'cache')).filter((file) => file.startsWith('reference-') && file.endsWith('.safetensors'))).toHaveLength(4);
});
