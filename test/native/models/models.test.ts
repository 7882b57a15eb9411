import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  CamuError,
  createModel,
  evaluate,
  evaluateSync,
  exportTorchScriptSync,
  info,
  loadTorchScript,
  loadTorchScriptSync,
  loadWeights,
  loadWeightsSync,
  readSafetensorsSync,
  saveWeights,
  saveWeightsSync,
  tensor,
  writeSafetensorsSync,
} from '../../../lib';
import { maxAbsDiff } from '../../helpers/models';
import { fixturesDir as fixtures, packageRoot } from '../../helpers/paths';

const batch = readSafetensorsSync(path.join(fixtures, 'batch.safetensors')).tensors;
const asFloats = (t: { toTypedArray(): unknown }) => t.toTypedArray() as Float32Array;
let dir: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'camu-models-'));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('built-in architectures', () => {
  test('the paper CNN has the PyTorch original state_dict keys and shapes', () => {
    const model = createModel({ architecture: 'cnn', numClasses: 10 });
    expect(model.stateInfo().map((e) => `${e.name}:${e.shape.join('x')}`)).toEqual([
      'conv1.0.weight:16x1x5x5',
      'conv1.0.bias:16',
      'conv2.0.weight:32x16x5x5',
      'conv2.0.bias:32',
      'fc1.weight:256x1568',
      'fc1.bias:256',
      'fc2.0.weight:128x256',
      'fc2.0.bias:128',
      'fc2.1.weight:10x128',
      'fc2.1.bias:10',
    ]);
    expect(model.embeddingSize).toBe(256);
    expect(model.inputShape).toEqual([1, 28, 28]);
    expect(model.hasBatchStatistics).toBe(false);
    const out = model.forward(tensor(new Uint8Array(3 * 784), [3, 1, 28, 28]));
    expect(out.logits.shape).toEqual([3, 10]);
    expect(out.embedding.shape).toEqual([3, 256]);
  });

  test('ResNet-18 uses torchvision names, both stems, 512-d embedding', () => {
    const imagenet = createModel({ architecture: 'resnet18', numClasses: 7 });
    const cifar = createModel({ architecture: 'resnet18-cifar', numClasses: 7 });
    const names = cifar.stateInfo().map((e) => e.name);
    expect(names).toHaveLength(122);
    expect(names.slice(0, 6)).toEqual([
      'conv1.weight',
      'bn1.weight',
      'bn1.bias',
      'bn1.running_mean',
      'bn1.running_var',
      'bn1.num_batches_tracked',
    ]);
    expect(names).toContain('layer1.1.conv2.weight');
    expect(names).toContain('layer2.0.downsample.0.weight');
    expect(names).toContain('layer4.0.downsample.1.running_var');
    expect(names.slice(-2)).toEqual(['fc.weight', 'fc.bias']);
    expect(imagenet.stateInfo().find((e) => e.name === 'conv1.weight')!.shape).toEqual([64, 3, 7, 7]);
    expect(cifar.stateInfo().find((e) => e.name === 'conv1.weight')!.shape).toEqual([64, 3, 3, 3]);
    expect(cifar.hasBatchStatistics).toBe(true);
    expect(cifar.inputSpec.mean).toEqual([0.485, 0.456, 0.406]);
    const out = cifar.forward(tensor(new Uint8Array(2 * 3 * 32 * 32), [2, 3, 32, 32]));
    expect(out.logits.shape).toEqual([2, 7]);
    expect(out.embedding.shape).toEqual([2, 512]);
    expect(imagenet.forward(tensor(new Uint8Array(3 * 64 * 64), [1, 3, 64, 64])).embedding.shape).toEqual([1, 512]);
  });

  test('the MLP flattens image batches', () => {
    const model = createModel({ architecture: 'mlp', inFeatures: 196, hiddenSize: 32, numClasses: 3 });
    expect(model.stateInfo().map((e) => e.name)).toEqual([
      'fc1.weight',
      'fc1.bias',
      'fc2.weight',
      'fc2.bias',
      'head.weight',
      'head.bias',
    ]);
    expect(model.forward(tensor(new Uint8Array(2 * 196), [2, 1, 14, 14])).embedding.shape).toEqual([2, 32]);
  });

  test('initialisation is seeded', () => {
    const weights = (seed: number) =>
      asFloats(createModel({ architecture: 'cnn', inputSize: 14, seed }).stateTensors()['fc1.weight']);
    expect(weights(3)).toEqual(weights(3));
    expect(maxAbsDiff(weights(3), weights(4))).toBeGreaterThan(0);
  });

  test('clone is deep and to("cpu") copies', () => {
    const model = createModel({ architecture: 'cnn', inputSize: 14, seed: 1 });
    const copy = model.clone();
    expect(copy).not.toBe(model);
    expect(asFloats(copy.stateTensors()['conv1.0.weight'])).toEqual(asFloats(model.stateTensors()['conv1.0.weight']));
    expect(model.to('cpu').device).toBe('cpu');
  });

  test('input that does not fit the model is a RangeError naming the shapes', () => {
    const model = createModel({ architecture: 'cnn' });
    expect(() => model.forward(tensor(new Uint8Array(3 * 32 * 32), [1, 3, 32, 32]))).toThrow(
      /cnn model takes input \[N, 1, 28, 28\], got \[1, 3, 32, 32\]/,
    );
    expect(() => model.forward(tensor(new Uint8Array(784), [784]))).toThrow(expect.objectContaining({ name: 'RangeError' }));
  });

  test('bad options are argument errors', () => {
    expect(() => createModel({ architecture: 'vgg' as never })).toThrow(/architecture must be one of/);
    expect(() => createModel({ architecture: 'cnn', numClasses: 1 })).toThrow(expect.objectContaining({ name: 'RangeError' }));
    expect(() => createModel({ architecture: 'resnet18', mean: [0.5], std: [0.5] })).toThrow(/one value per input channel/);
    expect(() => createModel({ architecture: 'cnn', device: 'tpu' })).toThrow(/'cpu', 'cuda' or 'cuda:N'/);
  });
});

// Every TorchScript load here is of the repository's own fixtures.
const TRUSTED = { trustCode: true };

describe('PyTorch fixtures (scripts/make-fixtures.py)', () => {
  test('the TorchScript CNN gives PyTorch outputs', async () => {
    const model = await loadTorchScript(path.join(fixtures, 'cnn14.pt'), { trustCode: true, inputShape: [1, 14, 14] });
    expect(model.architecture).toBe('torchscript');
    expect(model.numClasses).toBe(10);
    expect(model.embeddingSize).toBe(256);
    expect(model.hasBatchStatistics).toBe(false);
    expect(model.stateInfo().map((e) => e.name)).toEqual(
      createModel({ architecture: 'cnn', inputSize: 14 }).stateInfo().map((e) => e.name),
    );
    const out = model.forward(batch.images);
    expect(maxAbsDiff(asFloats(out.logits), asFloats(batch.cnn14_logits))).toBeLessThan(1e-5);
    expect(maxAbsDiff(asFloats(out.embedding), asFloats(batch.cnn14_embedding))).toBeLessThan(1e-5);
  });

  test('the safetensors state_dict loads into the built-in CNN with the same outputs', async () => {
    const base = createModel({ architecture: 'cnn', inputSize: 14 });
    const model = await loadWeights(base, path.join(fixtures, 'cnn14.safetensors'));
    const out = model.forward(batch.images);
    expect(maxAbsDiff(asFloats(out.logits), asFloats(batch.cnn14_logits))).toBeLessThan(1e-5);
    expect(maxAbsDiff(asFloats(out.embedding), asFloats(batch.cnn14_embedding))).toBeLessThan(1e-5);
    // The input model is untouched.
    expect(maxAbsDiff(asFloats(base.forward(batch.images).logits), asFloats(out.logits))).toBeGreaterThan(1e-3);
  });

  test('a logits-only module works with features and head named', () => {
    const model = loadTorchScriptSync(path.join(fixtures, 'logits-only.pt'), {
      trustCode: true,
      features: 'features',
      head: 'head',
      inputShape: [1, 14, 14],
    });
    const out = model.forward(batch.images);
    expect(maxAbsDiff(asFloats(out.logits), asFloats(batch.logits_only_logits))).toBeLessThan(1e-5);
    expect(maxAbsDiff(asFloats(out.embedding), asFloats(batch.logits_only_embedding))).toBeLessThan(1e-5);
  });

  test('modules that fit neither convention say what was found and what is needed', () => {
    expect(() => loadTorchScriptSync(path.join(fixtures, 'logits-only.pt'), TRUSTED)).toThrow(
      /forward returns Tensor; camu needs forward to return \(logits, embedding\).*options\.features.*Top-level submodules: features, head/s,
    );
    expect(() => loadTorchScriptSync(path.join(fixtures, 'three-outputs.pt'), TRUSTED)).toThrow(
      /forward returns Tuple\[Tensor, Tensor, Tensor\]/,
    );
    expect(() => loadTorchScriptSync(path.join(fixtures, 'logits-only.pt'), { trustCode: true, features: 'backbone', head: 'head' })).toThrow(
      /no submodule 'backbone'; top-level submodules: features, head/,
    );
    expect(() =>
      loadTorchScriptSync(path.join(fixtures, 'logits-only.pt'), { trustCode: true, features: 'head', head: 'features', inputShape: [1, 14, 14] }),
    ).toThrow(/forward failed|does not reproduce/);
  });

  test('a file from a newer torch names both versions', () => {
    let error: unknown;
    try {
      loadTorchScriptSync(path.join(fixtures, 'newer-format.pt'), TRUSTED);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CamuError);
    expect((error as CamuError).code).toBe('ERR_CAMU_UNSUPPORTED');
    expect((error as CamuError).message).toContain('file-format version 99');
    expect((error as CamuError).message).toContain(`libtorch ${info().libtorchVersion}`);
  });

  test('files that are not TorchScript are format errors', () => {
    expect(() => loadTorchScriptSync(path.join(fixtures, 'cnn14.safetensors'), TRUSTED)).toThrow(/is not a TorchScript archive/);
    const truncated = path.join(dir, 'truncated.pt');
    fs.writeFileSync(truncated, fs.readFileSync(path.join(fixtures, 'cnn14.pt')).subarray(0, 200_000));
    expect(() => loadTorchScriptSync(truncated, TRUSTED)).toThrow(expect.objectContaining({ code: 'ERR_CAMU_FORMAT' }));
    expect(() => loadTorchScriptSync(path.join(dir, 'absent.pt'), TRUSTED)).toThrow(expect.objectContaining({ code: 'ERR_CAMU_IO' }));
  });

  // scripts/make-fixtures.py damages logits-only.pt two ways; libtorch itself loads both and reads
  // past the storage. The convention options make the untouched file load, so only the damage fails.
  test('tensors that do not fit the bytes the file holds are format errors, before any forward pass', () => {
    const options = { trustCode: true, features: 'features', head: 'head', inputShape: [1, 14, 14] };
    expect(loadTorchScriptSync(path.join(fixtures, 'logits-only.pt'), options).numClasses).toBe(10);
    expect(() => loadTorchScriptSync(path.join(fixtures, 'short-record.pt'), options)).toThrow(
      expect.objectContaining({
        code: 'ERR_CAMU_FORMAT',
        message: expect.stringContaining("the storage of tensor 'head.bias' has 40 bytes, and no data record of the archive holds that many"),
      }),
    );
    // libtorch 2.x refuses this one itself while loading (1.13 does not): either way a format error.
    expect(() => loadTorchScriptSync(path.join(fixtures, 'short-storage.pt'), options)).toThrow(
      expect.objectContaining({
        code: 'ERR_CAMU_FORMAT',
        message: expect.stringMatching(
          /tensor 'head\.bias' \(shape \[40\], strides \[1\], offset 0\) reaches past its storage of 40 bytes|require a storage of at least 160 bytes, but storage only has 40 bytes/,
        ),
      }),
    );
  });
});

describe('weights and export', () => {
  test('safetensors round trip keeps every parameter and buffer', async () => {
    const model = createModel({ architecture: 'resnet18-cifar', numClasses: 5, seed: 2 });
    const file = path.join(dir, 'resnet.safetensors');
    await saveWeights(model, file, { metadata: { note: 'test' } });
    const contents = readSafetensorsSync(file);
    expect(contents.metadata).toEqual({ note: 'test', format: 'pt', 'camu.architecture': 'resnet18-cifar' });
    expect(contents.tensors['bn1.num_batches_tracked'].dtype).toBe('int64');
    const loaded = loadWeightsSync(createModel({ architecture: 'resnet18-cifar', numClasses: 5, seed: 9 }), file);
    const input = tensor(new Uint8Array(2 * 3 * 32 * 32).fill(90), [2, 3, 32, 32]);
    expect(asFloats(loaded.forward(input).logits)).toEqual(asFloats(model.forward(input).logits));
  });

  test('missing, unexpected and mis-shaped keys are listed', () => {
    const model = createModel({ architecture: 'cnn', inputSize: 14 });
    const state = model.stateTensors();
    const file = path.join(dir, 'wrong.safetensors');
    const { 'fc1.bias': _dropped, ...rest } = state;
    writeSafetensorsSync(file, { ...rest, 'fc3.weight': state['fc1.bias'], 'fc2.1.bias': state['fc1.bias'] });
    let message = '';
    try {
      loadWeightsSync(model, file);
    } catch (e) {
      message = (e as Error).message;
      expect((e as CamuError).code).toBe('ERR_CAMU_FORMAT');
    }
    expect(message).toContain('missing keys: fc1.bias');
    expect(message).toContain('unexpected keys: fc3.weight');
    expect(message).toContain('mis-shaped: fc2.1.bias (model [10],');
    // The 28-px CNN's fc1 does not take the 14-px fixture's weights.
    expect(() => loadWeightsSync(createModel({ architecture: 'cnn' }), path.join(fixtures, 'cnn14.safetensors'))).toThrow(
      /mis-shaped: fc1.weight \(model \[256, 1568\],/,
    );
  });

  test('TorchScript export loads back with the same outputs and input spec', () => {
    for (const architecture of ['cnn', 'resnet18-cifar', 'mlp'] as const) {
      const model = createModel({ architecture, inputSize: 14, inFeatures: 196, hiddenSize: 16, seed: 5 });
      const file = path.join(dir, `${architecture}.pt`);
      exportTorchScriptSync(model, file);
      const loaded = loadTorchScriptSync(file, TRUSTED);
      expect(loaded.inputSpec).toEqual(model.inputSpec);
      expect(loaded.stateInfo()).toEqual(model.stateInfo());
      expect(loaded.hasBatchStatistics).toBe(model.hasBatchStatistics);
      const shape = architecture === 'resnet18-cifar' ? [2, 3, 14, 14] : [2, 1, 14, 14];
      const input = tensor(new Uint8Array(shape.reduce((a, b) => a * b)).map((_, i) => (i * 37) % 256), shape);
      const a = model.forward(input);
      const b = loaded.forward(input);
      expect(maxAbsDiff(asFloats(a.logits), asFloats(b.logits))).toBeLessThan(1e-5);
      expect(maxAbsDiff(asFloats(a.embedding), asFloats(b.embedding))).toBeLessThan(1e-5);
    }
  });

  test('a loaded TorchScript model exports with its parameters still trainable', () => {
    const loaded = loadTorchScriptSync(path.join(fixtures, 'cnn14.pt'), TRUSTED);
    const file = path.join(dir, 're-exported.pt');
    exportTorchScriptSync(loaded, file);
    const again = loadTorchScriptSync(file, TRUSTED);
    expect(again.parameterCount).toBe(loaded.parameterCount);
    expect(again.parameterCount).toBeGreaterThan(0);
  });

  test('a failed write leaves no file behind', () => {
    const model = createModel({ architecture: 'mlp', inFeatures: 4, hiddenSize: 4 });
    const missingDir = path.join(dir, 'no-such-dir', 'w.safetensors');
    expect(() => saveWeightsSync(model, missingDir)).toThrow(expect.objectContaining({ code: 'ERR_CAMU_IO' }));
    expect(() => exportTorchScriptSync(model, path.join(dir, 'no-such-dir', 'm.pt'))).toThrow(
      expect.objectContaining({ code: 'ERR_CAMU_IO' }),
    );
    expect(fs.readdirSync(dir).filter((name) => name.includes('.tmp-'))).toEqual([]);
  });
});

describe('dispose and external memory', () => {
  it('reports a model to V8 as external memory while its handle holds it, and dispose() releases it', () => {
    // In a fresh process: here the collector may finalize other tests' models at any time, and
    // each finalizer takes its model's bytes off the same counter.
    const script = `
      const camu = require('./dist');
      const external = () => require('./dist/native').binding.testing.externalMemory();
      const before = external();
      const model = camu.createModel({ architecture: 'resnet18-cifar', numClasses: 10 });
      const bytes = model.stateInfo().reduce((sum, e) => sum + e.shape.reduce((n, d) => n * d, 1) * (e.dtype === 'int64' ? 8 : 4), 0);
      const one = external() - before;
      const copy = model.clone();
      const two = external() - before;
      model.dispose();
      copy.dispose();
      console.log(JSON.stringify({ bytes, one, two, after: external() - before }));`;
    const child = spawnSync(process.execPath, ['-e', script], { cwd: packageRoot, encoding: 'utf8' });
    expect(child.stderr).toBe('');
    const { bytes, one, two, after } = JSON.parse(child.stdout);
    expect(bytes).toBeGreaterThan(40e6);  // resnet18-cifar: 11.2M parameters
    expect(one).toBe(bytes);
    expect(two).toBe(2 * bytes);
    expect(after).toBe(0);
  });

  it('makes every later use a coded error, and a second dispose() does nothing', async () => {
    const model = createModel({ architecture: 'mlp', numClasses: 2, inFeatures: 4, hiddenSize: 3 });
    const file = path.join(dir, 'disposed.safetensors');
    expect(model.disposed).toBe(false);
    model.dispose();
    expect(model.disposed).toBe(true);
    expect(() => model.dispose()).not.toThrow();
    const state = expect.objectContaining({ name: 'CamuError', code: 'ERR_CAMU_STATE', message: expect.stringMatching(/disposed/) });
    expect(() => model.architecture).toThrow(state);
    expect(() => model.numClasses).toThrow(state);
    expect(() => model.stateTensors()).toThrow(state);
    expect(() => model.clone()).toThrow(state);
    expect(() => model.forward(tensor(new Float32Array(4), [1, 4]))).toThrow(state);
    expect(() => saveWeightsSync(model, file)).toThrow(state);
    await expect(saveWeights(model, file)).rejects.toMatchObject({ name: 'CamuError', code: 'ERR_CAMU_STATE' });
    expect(fs.existsSync(file)).toBe(false);
  });

  it('keeps a model alive for a job that started before dispose()', async () => {
    const model = createModel({ architecture: 'mlp', numClasses: 2, inFeatures: 4, hiddenSize: 3 });
    const images = tensor(new Float32Array(8), [2, 4]);
    const expected = evaluateSync(model, { images }, { outputs: ['logits'] }).logits;
    const running = evaluate(model, { images }, { outputs: ['logits'] });
    model.dispose();
    expect((await running).logits).toEqual(expected);
  });
});
