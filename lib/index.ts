/** camu: machine unlearning (CaMU and baselines) on a libtorch core. */
export { AbortError, CamuError, ErrorCode } from './errors';
export type { ErrorCodeValue } from './errors';
export type { JobOptions, Progress } from './jobs';
export type { AnyTypedArray, DType } from './native';
export { info, measureThroughput, measureThroughputSync, tensor } from './core';
export type { Info, Tensor, ThroughputOptions, ThroughputResult } from './core';
export * as reproduce from './reproduce';
export * from './audit';
export {
  CIFAR_BASE_URL,
  CIFAR_SOURCES,
  Dataset,
  datasetFromArrays,
  defaultCacheDir,
  downloadCifar,
  downloadFile,
  extractTarGz,
  FASHION_MNIST_SYSTEM_DIR,
  IMAGENET_INPUT_SPEC,
  loadCifar10,
  loadCifar100,
  loadFashionMnist,
  loadFashionMnistSync,
  loadMnist,
  loadMnistSync,
  pairedEpochBatches,
  shuffledBatches,
  UNIT_INPUT_SPEC,
} from './datasets';
export type {
  ArraysInit,
  BatchOptions,
  Cifar100Options,
  CifarName,
  CifarOptions,
  CifarSource,
  DatasetInit,
  DatasetPair,
  DownloadOptions,
  ExtractOptions,
  Geometry,
  IdxOptions,
  InputSpec,
  PairedBatch,
  ShuffleOptions,
} from './datasets';
export { loadSplit, makeSplit, saveSplit, Split, splitFromJson, splitToJson } from './splits';
export type { Scenario, ScenarioDescription, SplitDatasetInfo, SplitJson, SplitOptions } from './splits';
export { buildCounterfactualSet, buildCounterfactualSetSync } from './counterfactual';
export type { CounterfactualOptions, CounterfactualSet } from './counterfactual';
export {
  accuracy,
  distanceToRetrained,
  gapsToRetrain,
  metricsRecord,
  miaCamu,
  miaCamuSync,
  miaEfficacy,
  miaEfficacySync,
  miaEntropy,
  miaLoss,
  relearnTime,
  rte,
  zrf,
} from './metrics';
export type {
  AccuracyCount,
  AccuracyInput,
  AccuracyResult,
  CamuMiaInput,
  CamuMiaResult,
  DistanceResult,
  EfficacyMiaInput,
  EfficacyMiaResult,
  EntropyMiaInput,
  EntropyMiaResult,
  IndicesInput,
  LossMiaInput,
  LossMiaResult,
  MaskInput,
  MatrixInput,
  MetricsRecord,
  RelearnInput,
  RelearnResult,
  ValuesInput,
  ZrfResult,
} from './metrics';
export {
  createModel,
  exportTorchScript,
  exportTorchScriptSync,
  isModel,
  loadTorchScript,
  loadTorchScriptSync,
  loadWeights,
  loadWeightsSync,
  saveWeights,
  saveWeightsSync,
} from './models';
export type {
  Architecture,
  CreateModelOptions,
  EvaluateOutput,
  Model,
  ModelExecution,
  Precision,
  SaveWeightsOptions,
  StateEntry,
  TorchScriptOptions,
} from './models';
export { train, trainFromScratch } from './train';
export { distributedFromEnv } from './distributed';
export type { DistributedBackend, DistributedOptions } from './distributed';
export type { DatasetSelection, TensorData, TrainingData, TrainOptions, TrainResult } from './train';
export { evaluate, evaluateSync } from './evaluate';
export { CAMU_MIA_TRAIN_SIZE, evaluateUnlearning } from './evaluation';
export type { UnlearningEvaluation, UnlearningEvaluationInput } from './evaluation';
export type { EvaluateOptions, EvaluateResult, EvaluationData, UnlabelledTensorData } from './evaluate';
export { readSafetensorsSync, writeSafetensorsSync } from './io';
export type { SafetensorsContents } from './io';
export { METHOD_NAMES, methodDescriptor, methodDescriptors, unlearn, unlearnSync } from './unlearn';
export type { MethodDescriptor, OptionSchema, OptionSpec, OptionValues, UnlearnOptions, UnlearnResult, UnlearnStats } from './unlearn';
export { CAMU_PRESETS, presetFor } from './config/presets';
export type { CamuPresetName, CamuSettings } from './config/presets';
