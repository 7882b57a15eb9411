/**
 * Throws wrong types, shapes, dtypes, lengths and arities at every exported native entry point
 * and expects typed errors (TypeError / RangeError / CamuError with a code), never a crash.
 * A new export without a row here fails the completeness check.
 */
import { binding } from '../../lib/native';
import { CamuError } from '../../lib/errors';
import { METHOD_NAMES, methodDescriptor } from '../../lib/unlearn';

type Call = () => unknown;
interface BadCall {
  name: string;
  call: Call;
  error: typeof TypeError | typeof RangeError | typeof CamuError;
  code: string;
}

const raw = binding as unknown as Record<string, any>;
const tensor = () => binding.Tensor.fromTypedArray(new Float32Array([1, 2, 3, 4]), [2, 2]);
// Uniform softmax rows over 2 classes, class indices, losses: valid metric inputs to spoil one at a time.
const probabilities = (rows: number) => binding.Tensor.fromTypedArray(new Float32Array(rows * 2).fill(0.5), [rows, 2]);
const labels = (values: number[]) => binding.Tensor.fromTypedArray(BigInt64Array.from(values.map(BigInt)), [values.length]);
const losses = (rows: number) => binding.Tensor.fromTypedArray(Float32Array.from({ length: rows }, (_, i) => i), [rows]);
const image = (h = 4, w = 4) => binding.Tensor.fromTypedArray(new Float32Array(h * w), [1, 1, h, w]);
const filters = () => binding.Tensor.fromTypedArray(new Float32Array(16 * 25), [16, 1, 5, 5]);
const camuMia = (overrides: Record<string, unknown>) => ({
  sampleProbabilities: probabilities(4),
  testProbabilities: probabilities(4),
  forgetProbabilities: probabilities(2),
  trainSize: 2,
  ...overrides,
});

const efficacyMia = (overrides: Record<string, unknown>) => ({
  retainProbabilities: probabilities(2),
  retainLabels: labels([0, 1]),
  testProbabilities: probabilities(2),
  testLabels: labels([1, 0]),
  forgetProbabilities: probabilities(1),
  forgetLabels: labels([0]),
  ...overrides,
});

const labelled = () =>
  binding.tensorsFromArrays(new Uint8Array(4 * 4), [4, 1, 2, 2], new Uint8Array([0, 1, 0, 1]), 2);
const dataset = () => ({ name: 'tiny', ...labelled(), numClasses: 2, inputSpec: { mean: [], std: [] }, geometry: 'none' });
// A counterfactual set of one pair over dataset()'s sample 1, to spoil one field at a time.
const counterfactual = (overrides: Record<string, unknown>) => ({ sampleOrder: labels([1]), noiseSeed: 5n, noise: true, ...overrides });
// A valid split of dataset(): class 0 forgotten.
const split = () => ({
  ...binding.classRemovalSplit(dataset(), { classes: [0] }),
  forgetRepeat: 1,
  dataset: { name: 'tiny', trainSize: 4 },
});
const T = TypeError, R = RangeError;
const TYPE = 'ERR_INVALID_ARG_TYPE', RANGE = 'ERR_OUT_OF_RANGE';

const cnn = () => binding.createModel({ architecture: 'mlp', numClasses: 2, inFeatures: 4, hiddenSize: 3 });
const images4 = () => binding.Tensor.fromTypedArray(new Float32Array(16), [4, 4]);
const labels4 = () => binding.Tensor.fromTypedArray(new BigInt64Array(4), [4]);

const badCalls: Record<string, BadCall[]> = {
  readSafetensorsSync: [
    { name: 'path a number', call: () => raw.readSafetensorsSync(1), error: T, code: TYPE },
    { name: 'missing file', call: () => raw.readSafetensorsSync('/nonexistent/w.safetensors'), error: CamuError, code: 'ERR_CAMU_IO' },
  ],
  writeSafetensorsSync: [
    { name: 'tensors not an object', call: () => raw.writeSafetensorsSync('/tmp/x.safetensors', 3), error: T, code: TYPE },
    { name: 'tensor entry a typed array', call: () => raw.writeSafetensorsSync('/tmp/x.safetensors', { a: new Float32Array(2) }), error: T, code: TYPE },
  ],
  Model: [{ name: 'constructed directly', call: () => new raw.Model(), error: T, code: '' }],
  createModel: [
    { name: 'no options', call: () => raw.createModel(), error: T, code: TYPE },
    { name: 'unknown architecture', call: () => raw.createModel({ architecture: 'vgg' }), error: R, code: RANGE },
    { name: 'zero classes', call: () => raw.createModel({ architecture: 'cnn', numClasses: 0 }), error: R, code: RANGE },
    { name: 'seed a string', call: () => raw.createModel({ architecture: 'cnn', seed: 'x' }), error: T, code: TYPE },
  ],
  loadTorchScript: [
    { name: 'path a number', call: () => raw.loadTorchScript(1, undefined), error: T, code: TYPE },
    { name: 'options a string', call: () => raw.loadTorchScript('/x.pt', 'x'), error: T, code: TYPE },
  ],
  loadTorchScriptSync: [
    { name: 'missing file', call: () => raw.loadTorchScriptSync('/nonexistent/model.pt', { trustCode: true }), error: CamuError, code: 'ERR_CAMU_IO' },
  ],
  loadWeights: [{ name: 'model a string', call: () => raw.loadWeights('m', '/x'), error: T, code: TYPE }],
  loadWeightsSync: [
    { name: 'missing file', call: () => raw.loadWeightsSync(cnn(), '/nonexistent/w.safetensors'), error: CamuError, code: 'ERR_CAMU_IO' },
  ],
  saveWeights: [{ name: 'metadata values not strings', call: () => raw.saveWeights(cnn(), '/tmp/w.safetensors', { a: 1 }), error: T, code: TYPE }],
  saveWeightsSync: [{ name: 'path missing', call: () => raw.saveWeightsSync(cnn()), error: T, code: TYPE }],
  exportTorchScript: [{ name: 'model a tensor', call: () => raw.exportTorchScript(images4(), '/tmp/m.pt'), error: T, code: TYPE }],
  exportTorchScriptSync: [{ name: 'path a number', call: () => raw.exportTorchScriptSync(cnn(), 5), error: T, code: TYPE }],
  train: [
    { name: 'images missing', call: () => raw.train(cnn()), error: T, code: TYPE },
    { name: 'labels float', call: () => raw.train(cnn(), images4(), images4(), undefined, {}), error: T, code: TYPE },
    { name: 'epochs negative', call: () => raw.train(cnn(), images4(), labels4(), undefined, { epochs: -1 }), error: R, code: RANGE },
    { name: 'labels next to a Dataset', call: () => raw.train(cnn(), dataset(), labels4(), undefined, {}), error: T, code: TYPE },
    { name: 'Dataset with other classes', call: () => raw.train(cnn(), { ...dataset(), numClasses: 3 }, undefined, undefined, {}), error: R, code: RANGE },
    { name: 'Dataset without a name', call: () => raw.train(cnn(), { ...dataset(), name: 1 }, undefined, undefined, {}), error: T, code: TYPE },
  ],
  evaluate: [
    { name: 'model a number', call: () => raw.evaluate(1, images4(), undefined, undefined, {}), error: T, code: TYPE },
    { name: 'unknown output', call: () => raw.evaluate(cnn(), images4(), undefined, undefined, { outputs: ['gradients'] }), error: R, code: RANGE },
    { name: 'Dataset indices out of range', call: () => raw.evaluate(cnn(), dataset(), undefined, labels([0, 4]), {}), error: R, code: RANGE },
  ],
  evaluateSync: [
    { name: 'wrong input width', call: () => raw.evaluateSync(cnn(), binding.Tensor.fromTypedArray(new Float32Array(12), [4, 3]), undefined, undefined, {}), error: R, code: RANGE },
    { name: 'batch size zero', call: () => raw.evaluateSync(cnn(), images4(), undefined, undefined, { batchSize: 0 }), error: R, code: RANGE },
  ],
  trainSync: [
    { name: 'labels missing', call: () => raw.trainSync(cnn(), images4()), error: T, code: TYPE },
    { name: 'batch size zero', call: () => raw.trainSync(cnn(), images4(), labels4(), undefined, { batchSize: 0 }), error: R, code: RANGE },
  ],
  unlearn: [
    { name: 'too few arguments', call: () => raw.unlearn('camu', cnn()), error: T, code: TYPE },
    { name: 'method a number', call: () => raw.unlearn(1, cnn(), dataset(), split()), error: T, code: TYPE },
    { name: 'model a string', call: () => raw.unlearn('camu', 'm', dataset(), split()), error: T, code: TYPE },
    { name: 'split a number', call: () => raw.unlearn('camu', cnn(), dataset(), 3), error: T, code: TYPE },
    { name: 'split of another dataset', call: () => raw.unlearn('camu', cnn(), dataset(), { ...split(), dataset: { name: 'other', trainSize: 4 } }), error: R, code: RANGE },
    // Index sets that do not partition the train set (checked natively, whatever the host checked).
    { name: 'a forget index twice', call: () => raw.unlearn('camu', cnn(), dataset(), { ...split(), forgetIndices: labels([0, 0]), retainIndices: labels([1, 3]) }), error: R, code: RANGE },
    { name: 'forget and retain overlapping', call: () => raw.unlearn('camu', cnn(), dataset(), { ...split(), forgetIndices: labels([0, 1]), retainIndices: labels([1, 3]) }), error: R, code: RANGE },
    { name: 'a sample index from D_f', call: () => raw.unlearn('camu', cnn(), dataset(), { ...split(), sampleIndices: labels([0, 1]) }), error: R, code: RANGE },
    { name: 'a forged model', call: () => raw.unlearn('camu', Object.create(binding.Model.prototype), dataset(), split()), error: T, code: TYPE },
    { name: 'a forged abort flag', call: () => raw.unlearn('camu', cnn(), dataset(), split(), {}, undefined, undefined, Object.create(binding.AbortFlag.prototype)), error: T, code: TYPE },
    { name: 'options an array value', call: () => raw.unlearn('camu', cnn(), dataset(), split(), { epochs: [1] }), error: T, code: TYPE },
    // The rendezvous is an argument of its own: as an option it is an option of the wrong type.
    { name: 'distributed among the options', call: () => raw.unlearn('camu', cnn(), dataset(), split(), { distributed: { worldSize: 1, rank: 0 } }), error: T, code: TYPE },
    { name: 'distributed a number', call: () => raw.unlearn('camu', cnn(), dataset(), split(), {}, 3), error: T, code: TYPE },
    { name: 'distributed rank beyond the world', call: () => raw.unlearn('camu', cnn(), dataset(), split(), {}, { worldSize: 2, rank: 5 }), error: R, code: RANGE },
  ],
  taskGroupConnect: [
    { name: 'rendezvous a number', call: () => raw.taskGroupConnect(3, 'tasks'), error: T, code: TYPE },
    { name: 'rank beyond the world', call: () => raw.taskGroupConnect({ worldSize: 2, rank: 2 }, 'tasks'), error: R, code: RANGE },
    { name: 'name empty', call: () => raw.taskGroupConnect({ worldSize: 1, rank: 0 }, ''), error: R, code: RANGE },
    { name: 'name missing', call: () => raw.taskGroupConnect({ worldSize: 1, rank: 0 }), error: T, code: TYPE },
  ],
  taskGroupConnectSync: [
    { name: 'timeout zero', call: () => raw.taskGroupConnectSync({ worldSize: 1, rank: 0, timeoutSeconds: 0 }, 'tasks'), error: R, code: RANGE },
    { name: 'name a number', call: () => raw.taskGroupConnectSync({ worldSize: 1, rank: 0 }, 7), error: T, code: TYPE },
  ],
  taskGroupGet: [
    { name: 'group a plain object', call: () => raw.taskGroupGet({}, ['a']), error: T, code: TYPE },
    { name: 'group a model', call: () => raw.taskGroupGet(cnn(), ['a']), error: T, code: TYPE },
  ],
  taskGroupGetSync: [{ name: 'group missing', call: () => raw.taskGroupGetSync(undefined, ['a']), error: T, code: TYPE }],
  taskGroupClose: [{ name: 'group a number', call: () => raw.taskGroupClose(1), error: T, code: TYPE }],
  taskGroupCloseSync: [{ name: 'group a string', call: () => raw.taskGroupCloseSync('group'), error: T, code: TYPE }],
  taskGroupTake: [
    { name: 'group a plain object', call: () => raw.taskGroupTake({}, 'units'), error: T, code: TYPE },
    { name: 'too few arguments', call: () => raw.taskGroupTake({}), error: T, code: TYPE },
  ],
  taskGroupPut: [{ name: 'group a plain object', call: () => raw.taskGroupPut({}, 'key', 'value'), error: T, code: TYPE }],
  taskGroupFail: [{ name: 'group null', call: () => raw.taskGroupFail(null, 'failed'), error: T, code: TYPE }],
  taskGroupProblem: [{ name: 'no arguments', call: () => raw.taskGroupProblem(), error: T, code: TYPE }],
  taskGroupInfo: [{ name: 'group an array', call: () => raw.taskGroupInfo([]), error: T, code: TYPE }],
  unlearnSync: [
    { name: 'unknown method', call: () => raw.unlearnSync('no-such-method', cnn(), dataset(), split()), error: R, code: RANGE },
    { name: 'too many arguments', call: () => raw.unlearnSync('camu', cnn(), dataset(), split(), {}, undefined, 1), error: T, code: TYPE },
    // Every registered method: an option it does not have, and each option with a value of the wrong type.
    ...METHOD_NAMES.flatMap((method): BadCall[] => [
      { name: `${method}: unknown option`, call: () => raw.unlearnSync(method, cnn(), dataset(), split(), { noSuchOption: 1 }), error: R, code: RANGE },
      { name: `${method}: negative seed`, call: () => raw.unlearnSync(method, cnn(), dataset(), split(), { seed: -1 }), error: R, code: RANGE },
      ...Object.entries(methodDescriptor(method).options).map(([option, spec]): BadCall => ({
        name: `${method}: ${option} of the wrong type`,
        call: () => raw.unlearnSync(method, cnn(), dataset(), split(), { [option]: spec.type === 'boolean' ? 1 : spec.type === 'choice' ? true : 'x' }),
        error: T,
        code: TYPE,
      })),
    ]),
  ],
  unlearnMethods: [{ name: 'an argument', call: () => raw.unlearnMethods(1), error: T, code: TYPE }],
  readIdx: [
    { name: 'no arguments', call: () => raw.readIdx(), error: T, code: TYPE },
    { name: 'path a number', call: () => raw.readIdx(1, 'x', {}), error: T, code: TYPE },
    { name: 'options a string', call: () => raw.readIdx('a', 'b', 'c'), error: T, code: TYPE },
    { name: 'numClasses zero', call: () => raw.readIdx('a', 'b', { numClasses: 0 }), error: R, code: RANGE },
  ],
  readIdxSync: [
    { name: 'labels path missing', call: () => raw.readIdxSync('a'), error: T, code: TYPE },
    { name: 'missing file', call: () => raw.readIdxSync('/nonexistent/a', '/nonexistent/b', {}), error: CamuError, code: 'ERR_CAMU_IO' },
  ],
  readCifar: [
    { name: 'files not an array', call: () => raw.readCifar('x', { labels: 'fine' }), error: T, code: TYPE },
    { name: 'unknown labels', call: () => raw.readCifar(['x'], { labels: 'medium' }), error: R, code: RANGE },
  ],
  readCifarSync: [
    { name: 'file entry a number', call: () => raw.readCifarSync([1], { labels: 'cifar10' }), error: T, code: TYPE },
    { name: 'missing file', call: () => raw.readCifarSync(['/nonexistent/data_batch_1.bin'], { labels: 'cifar10' }), error: CamuError, code: 'ERR_CAMU_IO' },
  ],
  tensorsFromArrays: [
    { name: 'no arguments', call: () => raw.tensorsFromArrays(), error: T, code: TYPE },
    { name: 'images length mismatch', call: () => raw.tensorsFromArrays(new Uint8Array(3), [4, 1, 2, 2], new Uint8Array(4), 2), error: R, code: RANGE },
    { name: 'labels an array', call: () => raw.tensorsFromArrays(new Uint8Array(16), [4, 1, 2, 2], [0, 1, 0, 1], 2), error: T, code: TYPE },
    { name: 'label out of range', call: () => raw.tensorsFromArrays(new Uint8Array(16), [4, 1, 2, 2], new Uint8Array([0, 1, 0, 5]), 2), error: R, code: RANGE },
    { name: 'int64 images', call: () => raw.tensorsFromArrays(new BigInt64Array(16), [4, 1, 2, 2], new Uint8Array(4), 2), error: T, code: TYPE },
  ],
  checkDataset: [
    { name: 'a number', call: () => raw.checkDataset(3), error: T, code: TYPE },
    { name: 'images not a Tensor', call: () => raw.checkDataset({ ...dataset(), images: new Uint8Array(16) }), error: T, code: TYPE },
    { name: 'unknown geometry', call: () => raw.checkDataset({ ...dataset(), geometry: 'fisheye' }), error: R, code: RANGE },
  ],
  classRemovalSplit: [
    { name: 'dataset missing', call: () => raw.classRemovalSplit(undefined, { classes: [0] }), error: T, code: TYPE },
    { name: 'class not in the data', call: () => raw.classRemovalSplit(dataset(), { classes: [7] }), error: R, code: RANGE },
    { name: 'classes a number', call: () => raw.classRemovalSplit(dataset(), { classes: 0 }), error: T, code: TYPE },
  ],
  randomRemovalSplit: [
    { name: 'fraction 1', call: () => raw.randomRemovalSplit(dataset(), { fraction: 1 }), error: R, code: RANGE },
    { name: 'fraction a string', call: () => raw.randomRemovalSplit(dataset(), { fraction: '0.1' }), error: T, code: TYPE },
  ],
  indexSplit: [
    { name: 'indices a string', call: () => raw.indexSplit(dataset(), 'x', undefined, {}), error: T, code: TYPE },
    { name: 'index out of range', call: () => raw.indexSplit(dataset(), new Int32Array([9]), undefined, {}), error: R, code: RANGE },
    { name: 'duplicate index', call: () => raw.indexSplit(dataset(), new Int32Array([1, 1]), undefined, {}), error: R, code: RANGE },
  ],
  buildCounterfactualSet: [
    { name: 'split missing', call: () => raw.buildCounterfactualSet(dataset()), error: T, code: TYPE },
    { name: 'split a string', call: () => raw.buildCounterfactualSet(dataset(), 'split', {}), error: T, code: TYPE },
  ],
  buildCounterfactualSetSync: [
    { name: 'dataset a number', call: () => raw.buildCounterfactualSetSync(1, {}, {}), error: T, code: TYPE },
  ],
  counterfactualInputs: [
    { name: 'set missing', call: () => raw.counterfactualInputs(dataset()), error: T, code: TYPE },
    { name: 'noiseSeed a number', call: () => raw.counterfactualInputs(dataset(), counterfactual({ noiseSeed: 1 }), new Int32Array([0])), error: T, code: TYPE },
    { name: 'noiseSeed negative', call: () => raw.counterfactualInputs(dataset(), counterfactual({ noiseSeed: -1n }), new Int32Array([0])), error: R, code: RANGE },
    { name: 'sampleOrder a Float32Array', call: () => raw.counterfactualInputs(dataset(), counterfactual({ sampleOrder: new Float32Array(2) }), new Int32Array([0])), error: T, code: TYPE },
    { name: 'sample index out of range', call: () => raw.counterfactualInputs(dataset(), counterfactual({ sampleOrder: labels([7]) }), new Int32Array([0])), error: R, code: RANGE },
    { name: 'position out of range', call: () => raw.counterfactualInputs(dataset(), counterfactual({}), new Int32Array([1])), error: R, code: RANGE },
  ],
  datasetBatch: [
    { name: 'indices a string', call: () => raw.datasetBatch(dataset(), 'x', {}), error: T, code: TYPE },
    { name: 'index out of range', call: () => raw.datasetBatch(dataset(), new Int32Array([4]), {}), error: R, code: RANGE },
  ],
  shuffledBatches: [
    { name: 'batch size zero', call: () => raw.shuffledBatches(10, 0, {}), error: R, code: RANGE },
    { name: 'n a string', call: () => raw.shuffledBatches('10', 2, {}), error: T, code: TYPE },
  ],
  pairedEpochBatches: [
    { name: 'sample indices a typed array', call: () => raw.pairedEpochBatches(4, new Int32Array(4), 2, {}), error: T, code: TYPE },
    { name: 'negative pairs', call: () => raw.pairedEpochBatches(-1, binding.Tensor.fromTypedArray(new BigInt64Array(2), [2]), 2, {}), error: R, code: RANGE },
  ],
  setErrorFactory: [
    { name: 'no argument', call: () => raw.setErrorFactory(), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
    { name: 'not a function', call: () => raw.setErrorFactory(42), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
    { name: 'too many', call: () => raw.setErrorFactory(() => 0, 1), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
  ],
  info: [{ name: 'extra argument', call: () => raw.info(1), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' }],
  handleType: [
    { name: 'no argument', call: () => raw.handleType(), error: T, code: TYPE },
    { name: 'two arguments', call: () => raw.handleType(1, 2), error: T, code: TYPE },
  ],
  AbortFlag: [
    { name: 'called without new', call: () => raw.AbortFlag(), error: TypeError, code: '' },
    { name: 'argument', call: () => new raw.AbortFlag(1), error: TypeError, code: '' },
  ],
  Tensor: [
    { name: 'constructed directly', call: () => new raw.Tensor(), error: TypeError, code: '' },
    { name: 'no arguments', call: () => raw.Tensor.fromTypedArray(), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
    { name: 'plain array data', call: () => raw.Tensor.fromTypedArray([1, 2], [2]), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
    { name: 'string shape', call: () => raw.Tensor.fromTypedArray(new Float32Array(2), '2'), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
    { name: 'length mismatch', call: () => raw.Tensor.fromTypedArray(new Float32Array(5), [2, 3]), error: RangeError, code: 'ERR_OUT_OF_RANGE' },
    { name: 'negative dim', call: () => raw.Tensor.fromTypedArray(new Float32Array(0), [-1]), error: RangeError, code: 'ERR_OUT_OF_RANGE' },
    { name: 'fractional dim', call: () => raw.Tensor.fromTypedArray(new Float32Array(2), [1.5]), error: RangeError, code: 'ERR_OUT_OF_RANGE' },
    { name: 'NaN dim', call: () => raw.Tensor.fromTypedArray(new Float32Array(2), [NaN]), error: RangeError, code: 'ERR_OUT_OF_RANGE' },
    { name: 'too many dims', call: () => raw.Tensor.fromTypedArray(new Float32Array(1), [1, 1, 1, 1, 1, 1, 1, 1, 1]), error: RangeError, code: 'ERR_OUT_OF_RANGE' },
    { name: 'unmapped dtype Uint16Array', call: () => raw.Tensor.fromTypedArray(new Uint16Array(2), [2]), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
    { name: 'unmapped dtype Uint8ClampedArray', call: () => raw.Tensor.fromTypedArray(new Uint8ClampedArray(2), [2]), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
    { name: 'DataView data', call: () => raw.Tensor.fromTypedArray(new DataView(new ArrayBuffer(8)), [2]), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
    { name: 'toTypedArray with argument', call: () => (tensor() as any).toTypedArray(1), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
  ],
  measureThroughput: [
    { name: 'options not an object', call: () => raw.measureThroughput(1), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
    { name: 'options an array', call: () => raw.measureThroughput([]), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
    { name: 'unknown op', call: () => raw.measureThroughput({ op: 'fft' }), error: RangeError, code: 'ERR_OUT_OF_RANGE' },
    { name: 'size string', call: () => raw.measureThroughput({ size: '4' }), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
    { name: 'size zero', call: () => raw.measureThroughput({ size: 0 }), error: RangeError, code: 'ERR_OUT_OF_RANGE' },
    { name: 'iterations Infinity', call: () => raw.measureThroughput({ iterations: Infinity }), error: RangeError, code: 'ERR_OUT_OF_RANGE' },
    { name: 'onProgress not a function', call: () => raw.measureThroughput({}, 5), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
    { name: 'abortFlag not an AbortFlag', call: () => raw.measureThroughput({}, undefined, {}), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
    { name: 'abortFlag an AbortController', call: () => raw.measureThroughput({}, undefined, new AbortController()), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
    { name: 'too many arguments', call: () => raw.measureThroughput({}, undefined, undefined, 1), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
  ],
  measureThroughputSync: [
    { name: 'options a string', call: () => raw.measureThroughputSync('x'), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
    { name: 'negative iterations', call: () => raw.measureThroughputSync({ iterations: -1 }), error: RangeError, code: 'ERR_OUT_OF_RANGE' },
    { name: 'huge size', call: () => raw.measureThroughputSync({ size: 1e9 }), error: RangeError, code: 'ERR_OUT_OF_RANGE' },
    { name: 'too many arguments', call: () => raw.measureThroughputSync({}, 1), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
  ],
  'testing.externalMemory': [{ name: 'an argument', call: () => raw.testing.externalMemory(1), error: T, code: TYPE }],
  'testing.computeInterventionLoss': [
    { name: 'no arguments', call: () => raw.testing.computeInterventionLoss(), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
    { name: 'options undefined', call: () => raw.testing.computeInterventionLoss(undefined), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
    { name: 'options a number', call: () => raw.testing.computeInterventionLoss(3), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
    { name: 'unknown term', call: () => raw.testing.computeInterventionLoss({ term: 'mse' }), error: RangeError, code: 'ERR_OUT_OF_RANGE' },
    { name: 'rowWeights missing', call: () => raw.testing.computeInterventionLoss({ term: 'kl' }), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
    { name: 'student a typed array', call: () => raw.testing.computeInterventionLoss({ term: 'kl', rowWeights: tensor(), teacher: tensor(), student: new Float32Array(4) }), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
    { name: 'int64 logits', call: () => raw.testing.computeInterventionLoss({ term: 'ce', rowWeights: binding.Tensor.fromTypedArray(new Float32Array(2), [2]), logits: binding.Tensor.fromTypedArray(new BigInt64Array(4), [2, 2]), labels: binding.Tensor.fromTypedArray(new BigInt64Array(2), [2]) }), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
    { name: 'weights of the wrong length', call: () => raw.testing.computeInterventionLoss({ term: 'kl', rowWeights: binding.Tensor.fromTypedArray(new Float32Array(3), [3]), teacher: tensor(), student: tensor() }), error: RangeError, code: 'ERR_OUT_OF_RANGE' },
    { name: '1-D student', call: () => raw.testing.computeInterventionLoss({ term: 'kl', rowWeights: binding.Tensor.fromTypedArray(new Float32Array(4), [4]), teacher: binding.Tensor.fromTypedArray(new Float32Array(4), [4]), student: binding.Tensor.fromTypedArray(new Float32Array(4), [4]) }), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
    { name: 'too many arguments', call: () => raw.testing.computeInterventionLoss({}, {}), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
  ],
  'testing.computeMaxPoolRelu': [
    { name: 'no arguments', call: () => raw.testing.computeMaxPoolRelu(), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
    { name: 'input missing', call: () => raw.testing.computeMaxPoolRelu({}), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
    { name: '2-D input', call: () => raw.testing.computeMaxPoolRelu({ input: tensor() }), error: RangeError, code: 'ERR_OUT_OF_RANGE' },
    { name: 'int64 input', call: () => raw.testing.computeMaxPoolRelu({ input: binding.Tensor.fromTypedArray(new BigInt64Array(4), [1, 1, 2, 2]) }), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
    { name: 'unknown implementation', call: () => raw.testing.computeMaxPoolRelu({ input: tensor(), implementation: 'fast' }), error: RangeError, code: 'ERR_OUT_OF_RANGE' },
    { name: 'gradOutput misshaped', call: () => raw.testing.computeMaxPoolRelu({ input: binding.Tensor.fromTypedArray(new Float32Array(16), [1, 1, 4, 4]), gradOutput: tensor() }), error: RangeError, code: 'ERR_OUT_OF_RANGE' },
    { name: 'unknown device', call: () => raw.testing.computeMaxPoolRelu({ input: tensor(), device: 'tpu' }), error: RangeError, code: 'ERR_OUT_OF_RANGE' },
  ],
  'testing.computeLinear': [
    { name: 'no arguments', call: () => raw.testing.computeLinear(), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
    { name: 'weight missing', call: () => raw.testing.computeLinear({ input: tensor() }), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
    { name: 'int64 input', call: () => raw.testing.computeLinear({ input: labels([1, 2]), weight: tensor() }), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
    { name: '1-D input', call: () => raw.testing.computeLinear({ input: losses(2), weight: tensor() }), error: RangeError, code: 'ERR_OUT_OF_RANGE' },
    { name: 'K mismatch', call: () => raw.testing.computeLinear({ input: tensor(), weight: binding.Tensor.fromTypedArray(new Float32Array(3), [1, 3]) }), error: RangeError, code: 'ERR_OUT_OF_RANGE' },
    { name: 'bias of the wrong length', call: () => raw.testing.computeLinear({ input: tensor(), weight: tensor(), bias: losses(3) }), error: RangeError, code: 'ERR_OUT_OF_RANGE' },
    { name: 'gradOutput misshaped', call: () => raw.testing.computeLinear({ input: tensor(), weight: tensor(), gradOutput: losses(2) }), error: RangeError, code: 'ERR_OUT_OF_RANGE' },
    { name: 'unknown implementation', call: () => raw.testing.computeLinear({ input: tensor(), weight: tensor(), implementation: 'fast' }), error: RangeError, code: 'ERR_OUT_OF_RANGE' },
  ],
  'testing.computeConvReluPool': [
    { name: 'no arguments', call: () => raw.testing.computeConvReluPool(), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
    { name: 'bias missing', call: () => raw.testing.computeConvReluPool({ input: image(), weight: filters() }), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
    { name: 'int64 input', call: () => raw.testing.computeConvReluPool({ input: binding.Tensor.fromTypedArray(new BigInt64Array(16), [1, 1, 4, 4]), weight: filters(), bias: losses(16) }), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
    { name: 'two input channels', call: () => raw.testing.computeConvReluPool({ input: binding.Tensor.fromTypedArray(new Float32Array(32), [1, 2, 4, 4]), weight: filters(), bias: losses(16) }), error: RangeError, code: 'ERR_OUT_OF_RANGE' },
    { name: '1x1 image', call: () => raw.testing.computeConvReluPool({ input: image(1, 1), weight: filters(), bias: losses(16) }), error: RangeError, code: 'ERR_OUT_OF_RANGE' },
    { name: '3x3 kernel', call: () => raw.testing.computeConvReluPool({ input: image(), weight: binding.Tensor.fromTypedArray(new Float32Array(16 * 9), [16, 1, 3, 3]), bias: losses(16) }), error: RangeError, code: 'ERR_OUT_OF_RANGE' },
    { name: 'bias of the wrong length', call: () => raw.testing.computeConvReluPool({ input: image(), weight: filters(), bias: losses(8) }), error: RangeError, code: 'ERR_OUT_OF_RANGE' },
    { name: 'gradOutput misshaped', call: () => raw.testing.computeConvReluPool({ input: image(), weight: filters(), bias: losses(16), gradOutput: losses(2) }), error: RangeError, code: 'ERR_OUT_OF_RANGE' },
    { name: 'unknown implementation', call: () => raw.testing.computeConvReluPool({ input: image(), weight: filters(), bias: losses(16), implementation: 'fast' }), error: RangeError, code: 'ERR_OUT_OF_RANGE' },
  ],
  'testing.computeConv3x3': [
    { name: 'no arguments', call: () => raw.testing.computeConv3x3(), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
    { name: 'weight missing', call: () => raw.testing.computeConv3x3({ input: image() }), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
    { name: 'int64 input', call: () => raw.testing.computeConv3x3({ input: binding.Tensor.fromTypedArray(new BigInt64Array(16), [1, 1, 4, 4]), weight: binding.Tensor.fromTypedArray(new Float32Array(9), [1, 1, 3, 3]) }), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
    { name: '2-D input', call: () => raw.testing.computeConv3x3({ input: tensor(), weight: binding.Tensor.fromTypedArray(new Float32Array(9), [1, 1, 3, 3]) }), error: RangeError, code: 'ERR_OUT_OF_RANGE' },
    { name: '5x5 kernel', call: () => raw.testing.computeConv3x3({ input: image(), weight: filters() }), error: RangeError, code: 'ERR_OUT_OF_RANGE' },
    { name: 'channel mismatch', call: () => raw.testing.computeConv3x3({ input: image(), weight: binding.Tensor.fromTypedArray(new Float32Array(18), [1, 2, 3, 3]) }), error: RangeError, code: 'ERR_OUT_OF_RANGE' },
    { name: 'gradOutput misshaped', call: () => raw.testing.computeConv3x3({ input: image(), weight: binding.Tensor.fromTypedArray(new Float32Array(9), [1, 1, 3, 3]), gradOutput: losses(2) }), error: RangeError, code: 'ERR_OUT_OF_RANGE' },
    { name: 'unknown implementation', call: () => raw.testing.computeConv3x3({ input: image(), weight: binding.Tensor.fromTypedArray(new Float32Array(9), [1, 1, 3, 3]), implementation: 'fast' }), error: RangeError, code: 'ERR_OUT_OF_RANGE' },
  ],
  'testing.computeAdamSteps': [
    { name: 'no arguments', call: () => raw.testing.computeAdamSteps(), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
    { name: 'parameters missing', call: () => raw.testing.computeAdamSteps({ gradients: [] }), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
    { name: 'no parameters', call: () => raw.testing.computeAdamSteps({ parameters: [], gradients: [] }), error: RangeError, code: 'ERR_OUT_OF_RANGE' },
    { name: 'a parameter a typed array', call: () => raw.testing.computeAdamSteps({ parameters: [new Float32Array(4)], gradients: [null] }), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
    { name: 'int64 parameter', call: () => raw.testing.computeAdamSteps({ parameters: [labels([1, 2])], gradients: [null] }), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
    { name: 'gradients missing', call: () => raw.testing.computeAdamSteps({ parameters: [tensor()] }), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
    { name: 'one gradient short', call: () => raw.testing.computeAdamSteps({ parameters: [tensor(), tensor()], gradients: [tensor()] }), error: RangeError, code: 'ERR_OUT_OF_RANGE' },
    { name: 'gradient misshaped', call: () => raw.testing.computeAdamSteps({ parameters: [tensor()], gradients: [losses(4)] }), error: RangeError, code: 'ERR_OUT_OF_RANGE' },
    { name: 'int64 gradient', call: () => raw.testing.computeAdamSteps({ parameters: [losses(2)], gradients: [labels([1, 2])] }), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
    { name: 'zero steps', call: () => raw.testing.computeAdamSteps({ parameters: [tensor()], gradients: [tensor()], steps: 0 }), error: RangeError, code: 'ERR_OUT_OF_RANGE' },
    { name: 'negative learning rate', call: () => raw.testing.computeAdamSteps({ parameters: [tensor()], gradients: [tensor()], learningRate: -1 }), error: RangeError, code: 'ERR_OUT_OF_RANGE' },
    { name: 'NaN weight decay', call: () => raw.testing.computeAdamSteps({ parameters: [tensor()], gradients: [tensor()], weightDecay: NaN }), error: RangeError, code: 'ERR_OUT_OF_RANGE' },
    { name: 'unknown implementation', call: () => raw.testing.computeAdamSteps({ parameters: [tensor()], gradients: [tensor()], implementation: 'fast' }), error: RangeError, code: 'ERR_OUT_OF_RANGE' },
    { name: 'unknown device', call: () => raw.testing.computeAdamSteps({ parameters: [tensor()], gradients: [tensor()], device: 'tpu' }), error: RangeError, code: 'ERR_OUT_OF_RANGE' },
    { name: 'too many arguments', call: () => raw.testing.computeAdamSteps({}, {}), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
  ],
  metricsAccuracy: [
    { name: 'no arguments', call: () => raw.metricsAccuracy(), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
    { name: 'options undefined', call: () => raw.metricsAccuracy(undefined), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
    { name: 'predictions a typed array', call: () => raw.metricsAccuracy({ predictions: new Float32Array(4), labels: labels([0, 1]) }), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
    { name: '3-D predictions', call: () => raw.metricsAccuracy({ predictions: binding.Tensor.fromTypedArray(new Float32Array(8), [2, 2, 2]), labels: labels([0, 1]) }), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
    { name: 'labels of another length', call: () => raw.metricsAccuracy({ predictions: probabilities(3), labels: labels([0, 1]) }), error: RangeError, code: 'ERR_OUT_OF_RANGE' },
    { name: 'labels out of range', call: () => raw.metricsAccuracy({ predictions: probabilities(2), labels: labels([0, 2]) }), error: RangeError, code: 'ERR_OUT_OF_RANGE' },
    { name: 'float labels', call: () => raw.metricsAccuracy({ predictions: probabilities(2), labels: tensor() }), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
    { name: 'int64 mask', call: () => raw.metricsAccuracy({ predictions: probabilities(2), labels: labels([0, 1]), mask: labels([1, 1]) }), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
    { name: 'forgottenClasses not an array', call: () => raw.metricsAccuracy({ predictions: probabilities(2), labels: labels([0, 1]), forgottenClasses: 0 }), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
    { name: 'forgottenClasses negative', call: () => raw.metricsAccuracy({ predictions: probabilities(2), labels: labels([0, 1]), forgottenClasses: [-1] }), error: RangeError, code: 'ERR_OUT_OF_RANGE' },
    { name: 'numClasses disagrees', call: () => raw.metricsAccuracy({ predictions: probabilities(2), labels: labels([0, 1]), numClasses: 3 }), error: RangeError, code: 'ERR_OUT_OF_RANGE' },
    { name: 'too many arguments', call: () => raw.metricsAccuracy({}, 1), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
  ],
  metricsMiaCamu: [
    { name: 'no arguments', call: () => raw.metricsMiaCamu(), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
    { name: 'options a string', call: () => raw.metricsMiaCamu('x'), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
    { name: 'testProbabilities missing', call: () => raw.metricsMiaCamu({ sampleProbabilities: probabilities(2), forgetProbabilities: probabilities(2) }), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
    { name: '1-D probabilities', call: () => raw.metricsMiaCamu(camuMia({ sampleProbabilities: binding.Tensor.fromTypedArray(new Float32Array(4), [4]) })), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
    { name: 'logits instead of probabilities', call: () => raw.metricsMiaCamu(camuMia({ forgetProbabilities: tensor() })), error: RangeError, code: 'ERR_OUT_OF_RANGE' },
    { name: 'classes differ', call: () => raw.metricsMiaCamu(camuMia({ forgetProbabilities: binding.Tensor.fromTypedArray(new Float32Array([0.2, 0.3, 0.5]), [1, 3]) })), error: RangeError, code: 'ERR_OUT_OF_RANGE' },
    { name: 'no test rows left to evaluate', call: () => raw.metricsMiaCamu(camuMia({ trainSize: 4 })), error: RangeError, code: 'ERR_OUT_OF_RANGE' },
    { name: 'trainSize zero', call: () => raw.metricsMiaCamu(camuMia({ trainSize: 0 })), error: RangeError, code: 'ERR_OUT_OF_RANGE' },
    { name: 'seed fractional', call: () => raw.metricsMiaCamu(camuMia({ seed: 0.5 })), error: RangeError, code: 'ERR_OUT_OF_RANGE' },
    { name: 'onProgress not a function', call: () => raw.metricsMiaCamu(camuMia({}), 5), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
    { name: 'abortFlag not an AbortFlag', call: () => raw.metricsMiaCamu(camuMia({}), undefined, {}), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
    { name: 'too many arguments', call: () => raw.metricsMiaCamu(camuMia({}), undefined, undefined, 1), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
  ],
  metricsMiaCamuSync: [
    { name: 'no arguments', call: () => raw.metricsMiaCamuSync(), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
    { name: 'probabilities with NaN', call: () => raw.metricsMiaCamuSync(camuMia({ sampleProbabilities: binding.Tensor.fromTypedArray(new Float32Array([NaN, 1]), [1, 2]) })), error: RangeError, code: 'ERR_OUT_OF_RANGE' },
    { name: 'empty forget set', call: () => raw.metricsMiaCamuSync(camuMia({ forgetProbabilities: binding.Tensor.fromTypedArray(new Float32Array(0), [0, 2]) })), error: RangeError, code: 'ERR_OUT_OF_RANGE' },
    { name: 'int64 probabilities', call: () => raw.metricsMiaCamuSync(camuMia({ testProbabilities: binding.Tensor.fromTypedArray(new BigInt64Array(4), [2, 2]) })), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
    { name: 'too many arguments', call: () => raw.metricsMiaCamuSync(camuMia({}), undefined), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
  ],
  metricsMiaLoss: [
    { name: 'no arguments', call: () => raw.metricsMiaLoss(), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
    { name: 'options undefined', call: () => raw.metricsMiaLoss(undefined), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
    { name: 'losses a typed array', call: () => raw.metricsMiaLoss({ forgetLosses: new Float32Array(5), testLosses: losses(5) }), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
    { name: '2-D losses', call: () => raw.metricsMiaLoss({ forgetLosses: tensor(), testLosses: losses(5) }), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
    { name: 'int64 losses', call: () => raw.metricsMiaLoss({ forgetLosses: labels([1, 2, 3, 4, 5]), testLosses: losses(5) }), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
    { name: 'too few samples for k folds', call: () => raw.metricsMiaLoss({ forgetLosses: losses(4), testLosses: losses(5) }), error: RangeError, code: 'ERR_OUT_OF_RANGE' },
    { name: 'one fold', call: () => raw.metricsMiaLoss({ forgetLosses: losses(5), testLosses: losses(5), folds: 1 }), error: RangeError, code: 'ERR_OUT_OF_RANGE' },
    { name: 'infinite loss', call: () => raw.metricsMiaLoss({ forgetLosses: binding.Tensor.fromTypedArray(new Float32Array([1, 2, 3, 4, Infinity]), [5]), testLosses: losses(5) }), error: RangeError, code: 'ERR_OUT_OF_RANGE' },
    { name: 'seed a string', call: () => raw.metricsMiaLoss({ forgetLosses: losses(5), testLosses: losses(5), seed: '1' }), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
    { name: 'too many arguments', call: () => raw.metricsMiaLoss({}, {}), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
  ],
  metricsMiaEfficacy: [
    { name: 'no arguments', call: () => raw.metricsMiaEfficacy(), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
    { name: 'retainLabels missing', call: () => raw.metricsMiaEfficacy(efficacyMia({ retainLabels: undefined })), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
    { name: 'labels float32', call: () => raw.metricsMiaEfficacy(efficacyMia({ testLabels: binding.Tensor.fromTypedArray(new Float32Array(2), [2]) })), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
    { name: 'labels one short', call: () => raw.metricsMiaEfficacy(efficacyMia({ retainLabels: labels([0]) })), error: RangeError, code: 'ERR_OUT_OF_RANGE' },
    { name: 'label out of range', call: () => raw.metricsMiaEfficacy(efficacyMia({ forgetLabels: labels([2]) })), error: RangeError, code: 'ERR_OUT_OF_RANGE' },
    { name: 'logits instead of probabilities', call: () => raw.metricsMiaEfficacy(efficacyMia({ testProbabilities: tensor() })), error: RangeError, code: 'ERR_OUT_OF_RANGE' },
    { name: 'seed negative', call: () => raw.metricsMiaEfficacy(efficacyMia({ seed: -1 })), error: RangeError, code: 'ERR_OUT_OF_RANGE' },
    { name: 'onProgress not a function', call: () => raw.metricsMiaEfficacy(efficacyMia({}), 5), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
    { name: 'abortFlag not an AbortFlag', call: () => raw.metricsMiaEfficacy(efficacyMia({}), undefined, {}), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
    { name: 'too many arguments', call: () => raw.metricsMiaEfficacy(efficacyMia({}), undefined, undefined, 1), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
  ],
  metricsMiaEfficacySync: [
    { name: 'no arguments', call: () => raw.metricsMiaEfficacySync(), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
    { name: 'empty test set', call: () => raw.metricsMiaEfficacySync(efficacyMia({ testProbabilities: binding.Tensor.fromTypedArray(new Float32Array(0), [0, 2]), testLabels: labels([]) })), error: RangeError, code: 'ERR_OUT_OF_RANGE' },
    { name: 'classes differ', call: () => raw.metricsMiaEfficacySync(efficacyMia({ forgetProbabilities: binding.Tensor.fromTypedArray(new Float32Array([0.2, 0.3, 0.5]), [1, 3]) })), error: RangeError, code: 'ERR_OUT_OF_RANGE' },
    { name: 'too many arguments', call: () => raw.metricsMiaEfficacySync(efficacyMia({}), undefined), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
  ],
  metricsMiaEntropy: [
    { name: 'no arguments', call: () => raw.metricsMiaEntropy(), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
    { name: 'forgetProbabilities missing', call: () => raw.metricsMiaEntropy({ retainProbabilities: probabilities(2), testProbabilities: probabilities(2) }), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
    { name: 'negative probabilities', call: () => raw.metricsMiaEntropy({ retainProbabilities: binding.Tensor.fromTypedArray(new Float32Array([2, -1]), [1, 2]), testProbabilities: probabilities(2), forgetProbabilities: probabilities(2) }), error: RangeError, code: 'ERR_OUT_OF_RANGE' },
    { name: 'classes differ', call: () => raw.metricsMiaEntropy({ retainProbabilities: probabilities(2), testProbabilities: binding.Tensor.fromTypedArray(new Float32Array([0.2, 0.3, 0.5]), [1, 3]), forgetProbabilities: probabilities(2) }), error: RangeError, code: 'ERR_OUT_OF_RANGE' },
    { name: 'empty retain set', call: () => raw.metricsMiaEntropy({ retainProbabilities: binding.Tensor.fromTypedArray(new Float32Array(0), [0, 2]), testProbabilities: probabilities(2), forgetProbabilities: probabilities(2) }), error: RangeError, code: 'ERR_OUT_OF_RANGE' },
    { name: 'too many arguments', call: () => raw.metricsMiaEntropy({}, 1), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
  ],
  metricsDistanceToRetrained: [
    { name: 'no arguments', call: () => raw.metricsDistanceToRetrained(), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
    { name: 'options a number', call: () => raw.metricsDistanceToRetrained(1), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
    { name: 'retrainedProbabilities missing', call: () => raw.metricsDistanceToRetrained({ probabilities: probabilities(2) }), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
    { name: 'rows differ', call: () => raw.metricsDistanceToRetrained({ probabilities: probabilities(2), retrainedProbabilities: probabilities(3) }), error: RangeError, code: 'ERR_OUT_OF_RANGE' },
    { name: '1-D probabilities', call: () => raw.metricsDistanceToRetrained({ probabilities: binding.Tensor.fromTypedArray(new Float32Array(2), [2]), retrainedProbabilities: probabilities(1) }), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
    { name: 'no rows', call: () => raw.metricsDistanceToRetrained({ probabilities: probabilities(0), retrainedProbabilities: probabilities(0) }), error: RangeError, code: 'ERR_OUT_OF_RANGE' },
    { name: 'too many arguments', call: () => raw.metricsDistanceToRetrained({}, 1), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
  ],
  metricsZrf: [
    { name: 'no arguments', call: () => raw.metricsZrf(), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
    { name: 'randomProbabilities a plain array', call: () => raw.metricsZrf({ probabilities: probabilities(2), randomProbabilities: [[0.5, 0.5]] }), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
    { name: 'classes differ', call: () => raw.metricsZrf({ probabilities: probabilities(1), randomProbabilities: binding.Tensor.fromTypedArray(new Float32Array([0.2, 0.3, 0.5]), [1, 3]) }), error: RangeError, code: 'ERR_OUT_OF_RANGE' },
    { name: 'logits', call: () => raw.metricsZrf({ probabilities: tensor(), randomProbabilities: probabilities(2) }), error: RangeError, code: 'ERR_OUT_OF_RANGE' },
    { name: 'one class', call: () => raw.metricsZrf({ probabilities: binding.Tensor.fromTypedArray(new Float32Array([1]), [1, 1]), randomProbabilities: binding.Tensor.fromTypedArray(new Float32Array([1]), [1, 1]) }), error: RangeError, code: 'ERR_OUT_OF_RANGE' },
    { name: 'too many arguments', call: () => raw.metricsZrf({}, 1), error: TypeError, code: 'ERR_INVALID_ARG_TYPE' },
  ],
};

describe('native boundary', () => {
  it('has bad-call rows for every exported native entry point', () => {
    const exported = [...Object.keys(raw).filter((key) => key !== 'testing'), ...Object.keys(raw.testing).map((key) => `testing.${key}`)];
    expect(exported.sort()).toEqual(Object.keys(badCalls).sort());
  });

  for (const [fn, rows] of Object.entries(badCalls)) {
    describe(fn, () => {
      it.each(rows.map((row) => [row.name, row] as const))('%s -> typed error', (_name, row) => {
        let thrown: unknown;
        try {
          // An async entry point must throw synchronously on bad arguments, not return a promise.
          const result = row.call();
          if (result instanceof Promise) result.catch(() => undefined);
        } catch (error) {
          thrown = error;
        }
        // Compared by name: jest runs tests in a separate realm, so native-made TypeErrors are
        // not `instanceof` the test's TypeError.
        expect(thrown).toBeDefined();
        expect((thrown as Error).name).toBe(row.error.name);
        const error = thrown as Error & { code?: string };
        if (row.code) expect(error.code).toBe(row.code);
        expect(error.message).not.toMatch(/Exception raised from|frame #\d/);
        expect(error.message.length).toBeGreaterThan(10);
      });
    });
  }

  it('names the bad argument in the message', () => {
    expect(() => raw.Tensor.fromTypedArray(new Float32Array(5), [2, 3])).toThrow(
      'Tensor.fromTypedArray: data has 5 elements but shape [2, 3] needs 6',
    );
    expect(() => raw.measureThroughputSync({ op: 'fft' })).toThrow(/options\.op must be one of 'matmul', 'conv'/);
  });
});

describe('tensor bridge', () => {
  const cases: Array<[string, () => ArrayBufferView & { length: number }]> = [
    ['float32', () => new Float32Array([1.5, -2, 3, 4.25, 5, 6])],
    ['float64', () => new Float64Array([1.5, -2, 3, 4.25, 5, 6])],
    ['int64', () => new BigInt64Array([1n, -2n, 3n, 2n ** 40n, 5n, 6n])],
    ['int32', () => new Int32Array([1, -2, 3, 2 ** 30, 5, 6])],
    ['int16', () => new Int16Array([1, -2, 3, 4, 5, 6])],
    ['int8', () => new Int8Array([1, -2, 3, 4, 5, 6])],
    ['uint8', () => new Uint8Array([1, 2, 3, 4, 5, 255])],
  ];

  it.each(cases)('%s round-trips by copy with its own dtype', (dtype, make) => {
    const data = make();
    const t = binding.Tensor.fromTypedArray(data as any, [2, 3]);
    expect(t.dtype).toBe(dtype);
    expect(t.shape).toEqual([2, 3]);
    expect(t.numel).toBe(6);
    const out = t.toTypedArray();
    expect(out.constructor.name).toBe(data.constructor.name);
    expect(Array.from(out as any)).toEqual(Array.from(data as any));
    // Copies, not views: changing the source changes neither the tensor nor earlier copies.
    (data as any)[0] = (data as any)[1];
    expect(Array.from(t.toTypedArray() as any)).toEqual(Array.from(out as any));
    expect(out.buffer).not.toBe(data.buffer);
  });

  it('reads a typed array that views part of a larger buffer', () => {
    const buffer = new Float32Array([9, 9, 1, 2, 3, 9]).buffer;
    const view = new Float32Array(buffer, 8, 3);
    expect(Array.from(binding.Tensor.fromTypedArray(view, [3]).toTypedArray() as Float32Array)).toEqual([1, 2, 3]);
  });

  it('handles empty tensors', () => {
    const t = binding.Tensor.fromTypedArray(new Float32Array(0), [0, 3]);
    expect(t.shape).toEqual([0, 3]);
    expect((t.toTypedArray() as Float32Array).length).toBe(0);
  });
});
