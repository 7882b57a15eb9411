/**
 * Native memory does not grow across create / train / unlearn / evaluate / save / load cycles
 * (bench/leak-cycles.js, 200 cycles on demand: docs/reliability.md). A short run here, and a run
 * that keeps every cycle's models, to show the measurement sees a leak of that size.
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

const script = path.join(__dirname, '..', '..', 'bench', 'leak-cycles.js');
const measure = (...args: string[]) =>
  JSON.parse(execFileSync(process.execPath, ['--expose-gc', script, '--json', ...args], { encoding: 'utf8', env: { ...process.env, CAMU_NUM_THREADS: '1' } }));

test('repeated cycles leave the resident set flat; kept models make it climb', () => {
  const cycles = measure('--cycles', '24', '--warmup', '6');
  // Four CNNs of 1.7 MB each are made per cycle: a leak of any of them would be a slope of 1.7 MiB
  // or more. The allocators settle at their own pace over 24 cycles (libtorch 2.13 once gave 320
  // KiB per cycle, 1.13 tens of KiB either way): the bound is below one leaked model, not at the noise.
  expect(cycles.slopeKiBPerCycle).toBeLessThan(1024);
  const leaking = measure('--cycles', '10', '--warmup', '2', '--retain-models');
  expect(leaking.slopeKiBPerCycle).toBeGreaterThan(4 * 1024);
}, 120_000);
