/** camu: machine unlearning (CaMU and baselines) on a libtorch core. */
export { AbortError, CamuError, ErrorCode } from './errors';
export type { ErrorCodeValue } from './errors';
export type { JobOptions, Progress } from './jobs';
export type { AnyTypedArray, DType } from './native';
export { info, measureThroughput, measureThroughputSync, tensor } from './core';
export type { Info, Tensor, ThroughputOptions, ThroughputResult } from './core';
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
  InputSpec,
  Model,
  SaveWeightsOptions,
  StateEntry,
  TorchScriptOptions,
} from './models';
export { train, trainFromScratch } from './train';
export type { TrainingData, TrainOptions, TrainResult } from './train';
export { evaluate, evaluateSync } from './evaluate';
export type { EvaluateOptions, EvaluateResult, EvaluationData } from './evaluate';
export { readSafetensorsSync, writeSafetensorsSync } from './io';
export type { SafetensorsContents } from './io';
