/** camu: machine unlearning (CaMU and baselines) on a libtorch core. */
export { AbortError, CamuError, ErrorCode } from './errors';
export type { ErrorCodeValue } from './errors';
export type { JobOptions, Progress } from './jobs';
export type { AnyTypedArray, DType } from './native';
export { info, measureThroughput, measureThroughputSync, tensor } from './core';
export type { Info, Tensor, ThroughputOptions, ThroughputResult } from './core';
export {
  accuracy,
  distanceToRetrained,
  gapsToRetrain,
  metricsRecord,
  miaCamu,
  miaCamuSync,
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
