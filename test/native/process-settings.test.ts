/**
 * What camu does to the process when it loads (docs/process-settings.md): the tuning is on by
 * default, CAMU_PROCESS_TUNING=off refuses it, info() reports what applied, and a bad setting is a
 * coded error at require time, not a "rebuild camu" load failure. Each case is a fresh process,
 * since the settings apply once per process.
 */
import { spawnSync } from 'node:child_process';
import { info } from '../../lib';
import { packageRoot as root } from '../helpers/paths';

// Runs `script` in a fresh node process over the built package (dist/, `npm run build:ts`).
function inChild(env: Record<string, string>, script: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['-e', script], {
    cwd: root,
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('process settings', () => {
  it('are on by default and reported by info()', () => {
    expect(process.env.CAMU_PROCESS_TUNING).toBeUndefined();
    expect(info().processTuning).toEqual({ enabled: true, mallocThresholds: true, cachingAllocator: true, serialOpenBlas: expect.any(Boolean) });
  });

  it('CAMU_PROCESS_TUNING=off leaves the process as it was', () => {
    const child = inChild({ CAMU_PROCESS_TUNING: 'off' }, "console.log(JSON.stringify(require('./dist').info().processTuning))");
    expect(child.stderr).toBe('');
    expect(JSON.parse(child.stdout)).toEqual({ enabled: false, mallocThresholds: false, cachingAllocator: false, serialOpenBlas: false });
  });

  it('a bad value is a coded error naming the variable', () => {
    const child = inChild(
      { CAMU_PROCESS_TUNING: 'sometimes' },
      "try { require('./dist') } catch (e) { console.log(JSON.stringify({ name: e.name, code: e.code, message: e.message })) }",
    );
    const error = JSON.parse(child.stdout);
    expect(error).toMatchObject({ name: 'CamuError', code: 'ERR_INVALID_ARG_VALUE' });
    expect(error.message).toMatch(/CAMU_PROCESS_TUNING must be on, off, 1 or 0, got 'sometimes'/);
    expect(error.message).not.toMatch(/rebuild/);
  });
});
