/** The raw binding's types: what the native addon takes and returns (types only). */

export interface RawProgress {
  phase: string;
  step: number;
  total: number;
  [value: string]: number | string;
}
export type RawProgressCallback = (progress: RawProgress) => void;

export interface RawAbortFlag {
  abort(): void;
  readonly aborted: boolean;
}

export type DType = 'float32' | 'float64' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8';
export type TypedArrayOf = {
  float32: Float32Array;
  float64: Float64Array;
  int64: BigInt64Array;
  int32: Int32Array;
  int16: Int16Array;
  int8: Int8Array;
  uint8: Uint8Array;
};
export type AnyTypedArray = TypedArrayOf[DType];

export interface RawTensor {
  readonly shape: number[];
  readonly dtype: DType;
  readonly numel: number;
  toTypedArray(): AnyTypedArray;
}

export interface RawInfo {
  camuVersion: string;
  libtorchVersion: string;
  variant: 'cpu' | 'cuda';
  cuda: { available: boolean; devices: string[] };
  /**
   * libtorch's thread pools, the cores the process may use, and `camuKernels`: the threads camu's own kernels split
   * their work over (`intraOp` where camu was built with libtorch's OpenMP runtime; 1 otherwise, and `camuKernelsReason` says why).
   */
  threads: { intraOp: number; interOp: number; availableCores: number; camuKernels: number; camuKernelsReason?: string };
  xgboost: { available: boolean; version: string | null };
  /** Data-parallel work over c10d (docs/distributed.md): the backends this build has; `reason` when unavailable, `ncclReason` when it has no NCCL. */
  distributed: { available: boolean; backends: string[]; reason?: string; ncclReason?: string };
  /** The kernels OpenBLAS runs ('Haswell', 'SkylakeX', ...; OPENBLAS_CORETYPE chooses them); null when libtorch uses another BLAS. */
  openblasCore: string | null;
  /** The instruction set of camu's own fully-connected-layer kernels on this CPU ('avx512f'); null where those layers use libtorch's at::linear. */
  linearKernel: string | null;
  /** The instruction set of camu's fused conv -> relu -> max-pool kernel for the CNN's first layer ('avx512f'); null where that layer uses libtorch's convolution. */
  convPoolKernel: string | null;
  /** Whether this CPU has AVX-512 BF16 instructions, on which a ResNet created with `precision: 'bfloat16'` runs its convolutions (through oneDNN); elsewhere bfloat16 is correct but not faster. */
  cpuBfloat16: boolean;
  /** oneDNN's Winograd kernels for the float32 3x3 stride-1 convolutions of camu's ResNets on the CPU (docs/performance.md, "Winograd convolutions"): `implementation` names oneDNN's kernel; `reason` says why not, where those convolutions are libtorch's. `singleTile`: camu's own Winograd for the 4 x 4 images of ResNet-18-cifar's last stage (CPUs with AVX-512, every build). CAMU_WINOGRAD=off turns both off. */
  winogradConv: { available: boolean; implementation?: string; reason?: string; singleTile: boolean };
  /** What camu applied to the process at load (docs/process-settings.md); CAMU_PROCESS_TUNING=off turns the tuning off. */
  processTuning: { enabled: boolean; mallocThresholds: boolean; cachingAllocator: boolean; serialOpenBlas: boolean };
  parallelism: string;
}

export interface RawThroughputOptions {
  op?: 'matmul' | 'conv';
  size?: number;
  iterations?: number;
}
export interface RawThroughputResult {
  op: 'matmul' | 'conv';
  size: number;
  iterations: number;
  flopsPerIteration: number;
  medianSeconds: number;
  totalSeconds: number;
  gflops: number;
}

export interface RawInterventionLossOptions {
  term: 'kl' | 'ce';
  teacher?: RawTensor;
  student?: RawTensor;
  logits?: RawTensor;
  labels?: RawTensor;
  rowWeights: RawTensor;
  /** Rows before `split` form the first term, the rest the second (default: all in the first). */
  split?: number;
  implementation?: 'fused' | 'reference';
  device?: 'cpu' | 'cuda';
}
/** The fields of a Dataset (lib/datasets/dataset.ts) that native code reads. */
export interface RawDataset {
  readonly name: string;
  readonly images: RawTensor;
  readonly labels: RawTensor;
  readonly numClasses: number;
  readonly inputSpec: { readonly mean: readonly number[]; readonly std: readonly number[] };
  readonly geometry: string;
}
/** The fields of a Split (lib/splits.ts) that native code reads. */
export interface RawSplit {
  readonly forgetIndices: RawTensor;
  readonly retainIndices: RawTensor;
  readonly sampleIndices: RawTensor;
  readonly forgetRepeat: number;
  readonly dataset: { readonly name: string; readonly trainSize: number };
}
export interface RawLabelledImages {
  images: RawTensor;
  labels: RawTensor;
}
export interface RawSplitIndices {
  forgetIndices: RawTensor;
  retainIndices: RawTensor;
  sampleIndices: RawTensor;
}
export interface RawCounterfactualSet {
  forgetOrder: RawTensor;
  sampleOrder: RawTensor;
  labels: RawTensor;
  noiseSeed: bigint;
  noise: boolean;
}
export type RawCifarLabels = 'cifar10' | 'cifar100-fine' | 'cifar100-coarse';
export type RawIndexArray = Float64Array | Int32Array | BigInt64Array;

export interface RawAccuracyCount {
  correct: number;
  count: number;
  /** 100 * correct / count; null when no row was counted. */
  percent: number | null;
}
export interface RawAccuracyOptions {
  predictions: RawTensor;
  labels: RawTensor;
  mask?: RawTensor;
  forgottenClasses?: number[];
  numClasses?: number;
}
export interface RawAccuracyResult extends RawAccuracyCount {
  remainingClasses?: RawAccuracyCount;
  forgottenClasses?: RawAccuracyCount;
}
export interface RawMiaCamuOptions {
  sampleProbabilities: RawTensor;
  testProbabilities: RawTensor;
  forgetProbabilities: RawTensor;
  seed?: number;
  trainSize?: number;
}
export type RawMiaCamuResult =
  | {
      available: true;
      accuracy: number;
      heldOutAccuracy: number;
      trainMembers: number;
      trainNonMembers: number;
      heldOut: number;
      heldOutMembers: number;
      evalMembers: number;
      evalNonMembers: number;
      trees: number;
      seed: number;
      threads: number;
      xgboostVersion: string;
    }
  | { available: false; reason: string };
export interface RawMiaLossResult {
  accuracy: number;
  foldAccuracies: number[];
  perSide: number;
  folds: number;
  forgetRows: number;
  testRows: number;
  seed: number;
}
export interface RawMiaEfficacyOptions {
  retainProbabilities: RawTensor;
  retainLabels: RawTensor;
  testProbabilities: RawTensor;
  testLabels: RawTensor;
  forgetProbabilities: RawTensor;
  forgetLabels: RawTensor;
  seed?: number;
}
export interface RawMiaEfficacyResult {
  efficacy: number;
  predictedNonMembers: number;
  forgetRows: number;
  trainMembers: number;
  trainNonMembers: number;
  supportVectors: number;
  iterations: number;
  /** false: the fit stopped at LIBSVM's iteration cap (max(10^7, 100 x rows)) before the tolerance. */
  converged: boolean;
  c: number;
  gamma: number;
  seed: number;
}
export interface RawMiaEntropyResult {
  memberFraction: number;
  predictedMembers: number;
  trainMembers: number;
  trainNonMembers: number;
  forgetRows: number;
  seed: number;
}

/** Per-channel normalisation after scaling uint8 pixels to [0, 1]; empty arrays = none. */
export interface RawInputSpec {
  mean: number[];
  std: number[];
}

export type Architecture = 'cnn' | 'resnet18' | 'resnet18-cifar' | 'mlp';
/** The compute types createModel's `precision` takes (native/node/models_binding.cc checks the same). */
export const PRECISIONS = ['float32', 'bfloat16'] as const;
export type Precision = (typeof PRECISIONS)[number];

export interface RawStateEntry {
  name: string;
  shape: number[];
  dtype: DType;
}

/**
 * How a model's forward pass runs. 'builtin': camu's code for its own architectures.
 * 'camu-kernels': a TorchScript module whose forward is a chain of layers camu has kernels for
 * (conv2d, relu, max_pool2d, flatten/view, linear), run through them on the module's own
 * parameters; `layers` names each. 'torchscript': the module's own forward; `reason` says why
 * camu's kernels do not run it (the first operation that is not one of those layers, ...).
 */
export interface RawModelExecution {
  engine: 'builtin' | 'camu-kernels' | 'torchscript';
  layers?: string[];
  reason?: string;
  /** The convolutions' compute type: 'bfloat16' for a ResNet created with that precision, else 'float32'. */
  precision: Precision;
}

export interface RawModel {
  readonly architecture: Architecture | 'torchscript';
  readonly numClasses: number | null;
  readonly embeddingSize: number | null;
  readonly inputShape: (number | null)[] | null;
  readonly inputSpec: RawInputSpec;
  readonly device: string;
  readonly hasBatchStatistics: boolean;
  readonly execution: RawModelExecution;
  readonly parameterCount: number;
  stateInfo(): RawStateEntry[];
  stateTensors(): Record<string, RawTensor>;
  clone(): RawModel;
  to(device: string): RawModel;
  forward(images: RawTensor): { logits: RawTensor; embedding: RawTensor };
  /** Releases the native model now; later use is an ERR_CAMU_STATE error. */
  dispose(): void;
  readonly disposed: boolean;
}

export interface RawCreateModelOptions {
  architecture: Architecture;
  numClasses?: number;
  inChannels?: number;
  inputSize?: number;
  inFeatures?: number;
  hiddenSize?: number;
  seed?: number;
  mean?: number[];
  std?: number[];
  device?: string;
  precision?: Precision;
}

export interface RawTorchScriptOptions {
  trustCode?: boolean;
  forwardTimeout?: number;
  features?: string;
  head?: string;
  inputShape?: number[];
  mean?: number[];
  std?: number[];
  device?: string;
  camuKernels?: boolean;
}

export interface RawTrainOptions {
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  weightDecay?: number;
  seed?: number;
  shuffle?: boolean;
  fusedAdam?: boolean;
  checkWeights?: boolean;
  inPlace?: boolean;
  distributed?: RawDistributedOptions;
}

export interface RawDistributedOptions {
  masterAddr?: string;
  masterPort?: number;
  worldSize?: number;
  rank?: number;
  timeoutSeconds?: number;
  checkEvery?: number;
  backend?: string;
}

export interface RawTrainResult {
  model: RawModel;
  steps: number;
  samplesPerEpoch: number;
  epochLosses: number[];
  seconds: number;
  allReduceSeconds?: number;
}

export type EvaluateOutput = 'logits' | 'probabilities' | 'embeddings' | 'loss' | 'predictions';

export interface RawEvaluateOptions {
  batchSize?: number;
  outputs?: EvaluateOutput[];
}

export interface RawEvaluateResult {
  count: number;
  numClasses: number;
  embeddingSize: number;
  correct?: number;
  accuracy?: number;
  meanLoss?: number;
  logits?: Float32Array;
  probabilities?: Float32Array;
  embeddings?: Float32Array;
  loss?: Float32Array;
  predictions?: Int32Array;
}

export type MaybeTensor = RawTensor | undefined | null;

/** A method's options as the native registry reads them (lib/unlearn resolves every one first). */
/** A method's options, and the run's own; `distributed` is the one that is not a scalar. */
export type RawMethodOptions = Record<string, number | boolean | string>;
export interface RawUnlearnEpochStats {
  seconds: number;
  steps: number;
  /** The mean over the epoch's steps of each of the method's per-step scalars. */
  [scalar: string]: number;
}
export interface RawRetainGuardReport {
  /** D_r samples in the probe. */
  probeSize: number;
  /** The original model's accuracy (%) on the probe. */
  originalAccuracy: number;
  /** The accuracy (%) below which the run would have stopped. */
  floor: number;
  /** Each check: steps done and the accuracy (%); the last one after the last step. */
  checks: { step: number; accuracy: number }[];
}

export interface RawForgetStopReport {
  /** D_f samples in the probe. */
  probeSize: number;
  /** The accuracy (%) at or below which the run ends. */
  target: number;
  /** The original model's accuracy (%) on the probe. */
  originalAccuracy: number;
  /** How many checks ran. */
  checks: number;
  /** The accuracy (%) at the last check. */
  lastAccuracy: number;
  /** The step after which the run ended early (null: it took every step it planned). */
  stoppedAfterStep: number | null;
}

export interface RawUnlearnStats {
  method: string;
  /** The unlearning time: setupSeconds + removalSeconds. */
  seconds: number;
  /** The method's preparation from the split (CaMU: its counterfactual set). */
  setupSeconds: number;
  /** Cloning the models and every removal epoch. */
  removalSeconds: number;
  epochs: RawUnlearnEpochStats[];
  /** What the retained-accuracy guard measured (null when it was switched off or D_r is empty). */
  retainGuard: RawRetainGuardReport | null;
  /** What the forget stop measured (null without a forgetTarget or with an empty D_f). */
  forgetStop: RawForgetStopReport | null;
  /** Method-specific numbers (CaMU: pairs, teacherSampleCached, studentPassesBatched, backwardPerPass). */
  [detail: string]: unknown;
}

/** Checks of the fast kernels against their reference twins, for camu's own tests (not public API). */
export interface RawTestingHooks {
  /** The bytes V8 counts as external memory (models report their state there). */
  externalMemory(): number;
  computeInterventionLoss(options: RawInterventionLossOptions): {
    loss: number;
    blockLosses: [number, number];
    gradient: RawTensor;
  };
  /** relu(max_pool2d(input, 2)) by the fused kernel or the module's own order; gradient with gradOutput. */
  computeMaxPoolRelu(options: {
    input: RawTensor;
    gradOutput?: RawTensor;
    implementation?: 'fused' | 'reference';
    device?: string;
    /** Store the input channels-last first (the kernel has a path per layout). */
    channelsLast?: boolean;
  }): { output: RawTensor; gradient?: RawTensor };
  /** input·weightᵀ + bias by camu's linear kernels or at::linear; gradients with gradOutput. CPU only. */
  computeLinear(options: {
    input: RawTensor;
    weight: RawTensor;
    bias?: RawTensor;
    gradOutput?: RawTensor;
    implementation?: 'fused' | 'reference';
  }): { output: RawTensor; gradInput?: RawTensor; gradWeight?: RawTensor; gradBias?: RawTensor };
  /** max_pool2d(relu(conv2d(input [N, 1, H, W], weight [C, 1, 5, 5], bias, padding 2)), 2) by the fused kernel or libtorch; weight and bias gradients with gradOutput. CPU only. */
  computeConvReluPool(options: {
    input: RawTensor;
    weight: RawTensor;
    bias: RawTensor;
    gradOutput?: RawTensor;
    implementation?: 'fused' | 'reference';
  }): { output: RawTensor; gradWeight?: RawTensor; gradBias?: RawTensor };
  /** conv2d(input [N, C, H, W], weight [O, C, 3, 3], stride 1, padding 1) by oneDNN's Winograd kernels (where info().winogradConv.available and the channel counts suit them), camu's single-tile Winograd (4 x 4 images, info().winogradConv.singleTile) or at::conv2d; both gradients with gradOutput. CPU only. */
  computeConv3x3(options: {
    input: RawTensor;
    weight: RawTensor;
    gradOutput?: RawTensor;
    implementation?: 'fused' | 'reference';
  }): { output: RawTensor; gradInput?: RawTensor; gradWeight?: RawTensor };
  /** The parameters after `steps` Adam steps with fixed gradients, by camu's fused Adam or torch::optim::Adam; a null gradient leaves its parameter out. */
  computeAdamSteps(options: {
    parameters: RawTensor[];
    gradients: (RawTensor | null)[];
    steps?: number;
    learningRate?: number;
    weightDecay?: number;
    implementation?: 'fused' | 'reference';
    device?: string;
  }): RawTensor[];
}

export interface RawBinding {
  setErrorFactory(factory: (message: string, code: string) => Error): void;
  /** Which native handle `value` is, by the type tag its constructor set (never by prototype); null for anything else. */
  handleType(value: unknown): 'Model' | 'Tensor' | 'AbortFlag' | null;
  info(): RawInfo;
  AbortFlag: new () => RawAbortFlag;
  Tensor: { prototype: RawTensor; fromTypedArray(data: AnyTypedArray, shape: number[]): RawTensor };
  measureThroughput(
    options?: RawThroughputOptions,
    onProgress?: RawProgressCallback,
    abortFlag?: RawAbortFlag,
  ): Promise<RawThroughputResult>;
  measureThroughputSync(options?: RawThroughputOptions): RawThroughputResult;
  testing: RawTestingHooks;
  readIdx(
    imagesPath: string,
    labelsPath: string,
    options: { numClasses?: number },
    onProgress?: RawProgressCallback,
    abortFlag?: RawAbortFlag,
  ): Promise<RawLabelledImages>;
  readIdxSync(imagesPath: string, labelsPath: string, options: { numClasses?: number }): RawLabelledImages;
  readCifar(
    files: string[],
    options: { labels: RawCifarLabels },
    onProgress?: RawProgressCallback,
    abortFlag?: RawAbortFlag,
  ): Promise<RawLabelledImages>;
  readCifarSync(files: string[], options: { labels: RawCifarLabels }): RawLabelledImages;
  tensorsFromArrays(
    images: Uint8Array | Float32Array,
    shape: number[],
    labels: Uint8Array | Int32Array | BigInt64Array,
    numClasses: number,
  ): RawLabelledImages;
  checkDataset(dataset: RawDataset): void;
  classRemovalSplit(
    trainSet: RawDataset,
    scenario: { classes: number[]; proportions?: number[]; seed?: number; forgetRepeat?: number },
  ): RawSplitIndices;
  randomRemovalSplit(
    trainSet: RawDataset,
    scenario: { fraction?: number; count?: number; seed?: number; forgetRepeat?: number },
  ): RawSplitIndices;
  indexSplit(
    trainSet: RawDataset,
    forgetIndices: RawIndexArray,
    sampleIndices: RawIndexArray | undefined,
    options: { seed?: number; forgetRepeat?: number; forgetName?: string; sampleName?: string; fromFile?: boolean },
  ): RawSplitIndices;
  buildCounterfactualSet(
    trainSet: RawDataset,
    split: RawSplit,
    options: { seed?: number; noise?: boolean; relabel?: boolean },
    onProgress?: RawProgressCallback,
    abortFlag?: RawAbortFlag,
  ): Promise<RawCounterfactualSet>;
  buildCounterfactualSetSync(
    trainSet: RawDataset,
    split: RawSplit,
    options: { seed?: number; noise?: boolean; relabel?: boolean },
  ): RawCounterfactualSet;
  counterfactualInputs(
    trainSet: RawDataset,
    set: RawCounterfactualSet,
    positions?: RawTensor | Int32Array | BigInt64Array,
  ): RawTensor;
  datasetBatch(
    dataset: RawDataset,
    indices: RawTensor | Int32Array | BigInt64Array,
    options: { train?: boolean; seed?: number },
  ): RawTensor;
  shuffledBatches(n: number, batchSize: number, options: { seed?: number; dropLast?: boolean }): RawTensor[];
  pairedEpochBatches(
    numPairs: number,
    sampleIndices: RawTensor,
    batchSize: number,
    options: { seed?: number },
  ): { pairs: RawTensor; sample: RawTensor }[];
  metricsAccuracy(options: RawAccuracyOptions): RawAccuracyResult;
  metricsMiaCamu(
    options: RawMiaCamuOptions,
    onProgress?: RawProgressCallback,
    abortFlag?: RawAbortFlag,
  ): Promise<RawMiaCamuResult>;
  metricsMiaCamuSync(options: RawMiaCamuOptions): RawMiaCamuResult;
  metricsMiaLoss(options: { forgetLosses: RawTensor; testLosses: RawTensor; folds?: number; seed?: number }): RawMiaLossResult;
  metricsMiaEntropy(options: {
    retainProbabilities: RawTensor;
    testProbabilities: RawTensor;
    forgetProbabilities: RawTensor;
    seed?: number;
  }): RawMiaEntropyResult;
  metricsMiaEfficacy(
    options: RawMiaEfficacyOptions,
    onProgress?: RawProgressCallback,
    abortFlag?: RawAbortFlag,
  ): Promise<RawMiaEfficacyResult>;
  metricsMiaEfficacySync(options: RawMiaEfficacyOptions): RawMiaEfficacyResult;
  metricsDistanceToRetrained(options: { probabilities: RawTensor; retrainedProbabilities: RawTensor }): {
    activationDistance: number;
    jsDivergence: number;
    rows: number;
  };
  metricsZrf(options: { probabilities: RawTensor; randomProbabilities: RawTensor }): {
    zrf: number;
    jsDivergence: number;
    legacyBadTeacher: number | null;
    rows: number;
  };

  readSafetensorsSync(path: string): { tensors: Record<string, RawTensor>; metadata: Record<string, string> };
  writeSafetensorsSync(path: string, tensors: Record<string, RawTensor>, metadata?: Record<string, string>): undefined;

  Model: { prototype: RawModel };
  createModel(options: RawCreateModelOptions): RawModel;
  loadTorchScript(
    path: string,
    options: RawTorchScriptOptions | undefined,
    onProgress?: RawProgressCallback,
    abortFlag?: RawAbortFlag,
  ): Promise<RawModel>;
  loadTorchScriptSync(path: string, options?: RawTorchScriptOptions): RawModel;
  loadWeights(model: RawModel, path: string, onProgress?: RawProgressCallback, abortFlag?: RawAbortFlag): Promise<RawModel>;
  loadWeightsSync(model: RawModel, path: string): RawModel;
  saveWeights(
    model: RawModel,
    path: string,
    metadata: Record<string, string> | undefined,
    onProgress?: RawProgressCallback,
    abortFlag?: RawAbortFlag,
  ): Promise<undefined>;
  saveWeightsSync(model: RawModel, path: string, metadata?: Record<string, string>): undefined;
  exportTorchScript(model: RawModel, path: string, onProgress?: RawProgressCallback, abortFlag?: RawAbortFlag): Promise<undefined>;
  exportTorchScriptSync(model: RawModel, path: string): undefined;

  /** `imagesOrDataset`: images with `labels`, or a Dataset (its labels and transform) with `labels` undefined. */
  train(
    model: RawModel,
    imagesOrDataset: RawTensor | RawDataset,
    labels: MaybeTensor,
    indices: MaybeTensor,
    options: RawTrainOptions | undefined,
    onProgress?: RawProgressCallback,
    abortFlag?: RawAbortFlag,
  ): Promise<RawTrainResult>;
  evaluate(
    model: RawModel,
    imagesOrDataset: RawTensor | RawDataset,
    labels: MaybeTensor,
    indices: MaybeTensor,
    options: RawEvaluateOptions | undefined,
    onProgress?: RawProgressCallback,
    abortFlag?: RawAbortFlag,
  ): Promise<RawEvaluateResult>;
  unlearn(
    method: string,
    model: RawModel,
    train: RawDataset,
    split: RawSplit,
    options: RawMethodOptions | undefined,
    distributed: RawDistributedOptions | undefined,
    onProgress?: RawProgressCallback,
    abortFlag?: RawAbortFlag,
  ): Promise<{ model: RawModel; stats: RawUnlearnStats }>;
  unlearnSync(
    method: string,
    model: RawModel,
    train: RawDataset,
    split: RawSplit,
    options?: RawMethodOptions,
    distributed?: RawDistributedOptions,
  ): { model: RawModel; stats: RawUnlearnStats };
  /** The methods the native registry holds, sorted. */
  unlearnMethods(): string[];
  trainSync(
    model: RawModel,
    imagesOrDataset: RawTensor | RawDataset,
    labels: MaybeTensor,
    indices: MaybeTensor,
    options?: RawTrainOptions,
  ): RawTrainResult;
  evaluateSync(
    model: RawModel,
    imagesOrDataset: RawTensor | RawDataset,
    labels: MaybeTensor,
    indices: MaybeTensor,
    options?: RawEvaluateOptions,
  ): RawEvaluateResult;
}
