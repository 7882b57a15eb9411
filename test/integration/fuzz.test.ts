/**
 * The bounded fuzz run of camu's readers and API (scripts/fuzz.js): a fixed seed, every file format
 * camu reads mutated 60 times, and 60 calls of exported functions with drawn arguments. Every call
 * succeeds or throws a coded error; a crash or an uncoded error fails this test. A long run is on
 * demand (docs/reliability.md).
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

test('every mutated file is read or refused with a coded error, never a crash', () => {
  const script = path.join(__dirname, '..', '..', 'scripts', 'fuzz.js');
  const run = spawnSync(process.execPath, [script, '--seed', '7', '--iterations', '60', '--json'], { encoding: 'utf8', env: { ...process.env, CAMU_NUM_THREADS: '1' } });
  // On a crash the last line of stderr names the call it died in.
  expect({ status: run.status, signal: run.signal, lastCall: run.stderr.trim().split('\n').pop() }).toMatchObject({ status: 0, signal: null });
  const report = JSON.parse(run.stdout);
  expect(report.failures).toEqual([]);
  expect(Object.keys(report.calls).sort()).toEqual(['api', 'idx', 'idx.gz', 'results', 'safetensors', 'split', 'torchscript', 'weights']);
  for (const calls of Object.values(report.calls)) expect(calls).toBe(60);
  // The mutations are not all fatal: some files are still read (a flipped weight is a valid file).
  expect(Object.values(report.accepted as Record<string, number>).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
}, 120_000);
