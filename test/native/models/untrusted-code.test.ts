/**
 * TorchScript files carry code: loading one needs trustCode, and a call into that code that never
 * returns is given up after forwardTimeout (docs/reliability.md, "Untrusted model files").
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { ErrorCode, loadTorchScript, loadTorchScriptSync } from '../../../lib';
import { packageRoot as root } from '../../helpers/paths';

const fixtures = path.join(root, 'test', 'fixtures');

describe('trustCode', () => {
  test('a load without it is refused before the file is opened', async () => {
    const untrusted = expect.objectContaining({ code: ErrorCode.UntrustedCode, message: expect.stringMatching(/runs code stored in the file.*trustCode: true.*loadWeights/s) });
    expect(() => loadTorchScriptSync(path.join(fixtures, 'cnn14.pt'))).toThrow(untrusted);
    expect(() => loadTorchScriptSync(path.join(fixtures, 'cnn14.pt'), { trustCode: false })).toThrow(untrusted);
    await expect(loadTorchScript(path.join(fixtures, 'cnn14.pt'))).rejects.toEqual(untrusted);
    // Refused before any file access: a missing file says the same, not ERR_CAMU_IO.
    expect(() => loadTorchScriptSync('/nonexistent/model.pt')).toThrow(untrusted);
    expect(loadTorchScriptSync(path.join(fixtures, 'cnn14.pt'), { trustCode: true }).architecture).toBe('torchscript');
  });

  test('a bad trustCode or forwardTimeout is an argument error', () => {
    const file = path.join(fixtures, 'cnn14.pt');
    expect(() => loadTorchScriptSync(file, { trustCode: 'yes' as never })).toThrow(expect.objectContaining({ code: ErrorCode.InvalidArgType }));
    for (const forwardTimeout of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => loadTorchScriptSync(file, { trustCode: true, forwardTimeout })).toThrow(expect.objectContaining({ code: expect.stringMatching(/^ERR_(OUT_OF_RANGE|INVALID_ARG_TYPE)$/) }));
    }
  });
});

// The endless fixture's forward spins a core until its process exits: each case runs in a child
// process over the built package (dist/), which must then exit on its own.
function inChild(script: string): { status: number | null; signal: NodeJS.Signals | null; result: Record<string, unknown>; stderr: string; seconds: number } {
  const started = Date.now();
  const child = spawnSync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf8', timeout: 90_000, env: { ...process.env, CAMU_NUM_THREADS: '1' } });
  const lines = child.stdout.trim().split('\n');
  return {
    status: child.status,
    signal: child.signal,
    result: JSON.parse(lines[lines.length - 1] || '{}'),
    stderr: child.stderr,
    seconds: (Date.now() - started) / 1000,
  };
}

describe('forwardTimeout', () => {
  const endless = JSON.stringify(path.join(fixtures, 'endless-forward.pt'));

  test('a load whose probe never returns is given up, and the process still exits', () => {
    const child = inChild(`
      const camu = require('./dist');
      const started = Date.now();
      camu.loadTorchScript(${endless}, { trustCode: true, forwardTimeout: 0.5, inputShape: [1, 14, 14] }).then(
        () => console.log(JSON.stringify({ loaded: true })),
        (e) => console.log(JSON.stringify({ code: e.code, message: e.message, seconds: (Date.now() - started) / 1000 })));
    `);
    expect(child.stderr).toBe('');
    expect(child.signal).toBeNull();
    expect(child.status).toBe(0);
    expect(child.result).toEqual({
      code: ErrorCode.Stuck,
      message: expect.stringMatching(/^loadTorchScript: .*endless-forward\.pt: load has run longer than its forwardTimeout of 0\.5 s \(\d\.\d{3} s\)/),
      seconds: expect.any(Number),
    });
    expect(child.result.seconds).toBeLessThan(10);
  });

  test('a stuck forward fails its job; the model then fails fast instead of waiting; the process exits', () => {
    const child = inChild(`
      const camu = require('./dist');
      const n = 4;
      const data = camu.datasetFromArrays({ images: new Uint8Array(n * 196), shape: [n, 1, 14, 14], labels: [0, 1, 2, 3], numClasses: 10 });
      const outcome = (promise) => promise.then(() => 'ok', (e) => e.code);
      (async () => {
        const model = await camu.loadTorchScript(${endless}, { trustCode: true, forwardTimeout: 0.5 });
        const result = {};
        let started = Date.now();
        result.first = await outcome(camu.evaluate(model, data));
        result.firstSeconds = (Date.now() - started) / 1000;
        started = Date.now();
        result.second = await outcome(camu.evaluate(model, data));
        result.secondSeconds = (Date.now() - started) / 1000;
        try { model.forward(camu.tensor(new Uint8Array(196), [1, 1, 14, 14])); result.sync = 'ok'; } catch (e) { result.sync = e.code; }
        console.log(JSON.stringify(result));
      })();
    `);
    expect(child.stderr).toBe('');
    expect(child.signal).toBeNull();
    expect(child.status).toBe(0);
    expect(child.result).toEqual({ first: ErrorCode.Stuck, firstSeconds: expect.any(Number), second: ErrorCode.Stuck, secondSeconds: expect.any(Number), sync: ErrorCode.Stuck });
    expect(child.result.firstSeconds).toBeLessThan(10);
    // The second job never gets the lock the stuck call holds: it fails within a wait slice or two.
    expect(child.result.secondSeconds).toBeLessThan(2);
  });
});
