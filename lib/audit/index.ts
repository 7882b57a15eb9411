/**
 * The statistics of a membership-inference privacy audit (docs/audit.md): ROC summaries with
 * bootstrap intervals, RMIA and U-LiRA scores from per-sample model outputs, and the ROC plot;
 * reference models trained natively on halves of a population; and audit(), which puts them together.
 */
export type { Flags, Values } from './input';
export { bootstrapRoc, percentileInterval, reduceRoc, rocAuc, rocCurve, rocSummary, tprAtFpr } from './roc';
export type { BootstrapOptions, Interval, ReduceOptions, RocBootstrap, RocCurve, RocSummary, RocSummaryOptions, Scores } from './roc';
export { RMIA_OFFLINE_A, rmiaMarginals, rmiaScores } from './rmia';
export type { RmiaOptions, RmiaSamples } from './rmia';
export {
  fitUlira,
  LOGIT_EPSILON,
  logitConfidence,
  PER_EXAMPLE_VARIANCE_MIN_OBSERVATIONS,
  uliraEvaluation,
  uliraScores,
  VARIANCE_FLOOR,
} from './ulira';
export type { GaussianFits, UliraFit, UliraFitOptions, UliraObservations } from './ulira';
export { rocPlotSvg } from './plot';
export type { RocPlotData } from './plot';
export { referenceHalf, trainReferenceModels } from './references';
export type { ReferenceModels, ReferenceModelsOptions, ReferenceRecipe } from './references';
export { audit } from './audit';
export type { AuditGroup, AuditOptions, AuditResult, RmiaAuditResult } from './audit';
export type { HeldOutSummary, UliraAuditResult } from './ulira-audit';
