/**
 * The membership audit of one model (docs/audit.md, "Auditing a model"): RMIA scores for rows of
 * D_f, D_r and the test set against reference models, with ROC summaries of D_f and D_r rows
 * against test rows, and the loss attack on the same rows for comparison.
 *
 * The references train on random halves of the train and test sets together: every audited row,
 * member or not, is then IN for about half of them, which the per-example marginal Pr(x) needs (a
 * test row that no reference ever saw would get a lower Pr(x) than a train row for that reason alone).
 */
import { Dataset } from '../datasets';
import { DistributedOptions, resolveDistributed } from '../distributed';
import { CamuError, ErrorCode } from '../errors';
import { checkInstance, checkInteger, checkObject, checkOneOf, invalidArgType } from '../is';
import { checkJobOptions, JobOptions } from '../jobs';
import { CreateModelOptions, isModel, Model } from '../models';
import { Split } from '../splits';
import { createRng, shuffledIndices } from './random';
import { allRows, datasetOfRows, evenlySpaced, trueClassProbabilities } from './rows';
import { ReferenceModels, ReferenceRecipe, trainReferenceModels } from './references';
import { checkRmiaOptions, rmiaScores, RmiaOptions } from './rmia';
import { rocSummary, RocSummary, RocSummaryOptions } from './roc';
import { UliraFitOptions } from './ulira';
import { runUliraAudit, UliraAuditResult } from './ulira-audit';
import { methodDescriptor } from '../unlearn';

export interface AuditOptions extends ReferenceRecipe, JobOptions {
  /** The audited model. */
  model: Model;
  /** The set its original was trained on, and a held-out set of the same task. */
  train: Dataset;
  test: Dataset;
  /** The split it was unlearned on: its forget set D_f and retain set D_r are audited. */
  split: Split;
  /**
   * 'rmia' (default; Zarifzadeh et al., ICML 2024): can an attacker tell D_f rows from test rows?
   * 'ulira' (Hayes et al. 2024): can it tell this model from `retrained` on D_f's rows?
   */
  attack?: 'rmia' | 'ulira';
  /**
   * rmia: K reference models to train (or take from `cacheDir`), or references an earlier call
   * trained. ulira: K shadow experiments (at least 4: each row is then observed twice a side), each an original, its unlearning and its retraining.
   */
  references: number | ReferenceModels;
  /** ulira: the model retrained without D_f that the audited model is compared with. */
  retrained?: Model;
  /** ulira: the unlearning method the shadows apply (the audited model's; default 'camu'). */
  method?: string;
  /** ulira: the method's options for the shadows (and `preset`; default the preset that fits the split). */
  methodOptions?: Record<string, unknown>;
  /** ulira: the Gaussian fits' variance (lib/audit/ulira.ts; default 'auto'). */
  fit?: UliraFitOptions;
  /** Architecture of the references (default: the audited model's, for built-in architectures). */
  referenceModel?: CreateModelOptions;
  /** RMIA's mode, `a` and `gamma` (lib/audit/rmia.ts; default online, gamma 1). */
  rmia?: RmiaOptions;
  /** Rows audited per group (D_f, D_r, test), evenly spaced over the group (default 2000). */
  maxRows?: number;
  /** Population samples z of RMIA's pairwise test, drawn from rows not audited (default 1000). */
  populationSamples?: number;
  /** Bootstrap of the ROC summaries (default 1000 resamples, 95%, seed 0). */
  bootstrap?: Pick<RocSummaryOptions, 'resamples' | 'level' | 'seed'>;
  /** Seeds the references' halves and training (default 0). */
  seed?: number;
  /** References trained at once (default 1). */
  jobs?: number;
  /** Where references are cached by content key (a rerun or an aborted audit resumes). */
  cacheDir?: string;
  /**
   * rmia: train the K references across ranks, each rank taking references from a shared queue
   * (docs/distributed.md, "Independent work"); every rank makes the same call and ends with the
   * same result. 'env': the variables `camu launch` sets. Not for ulira (ERR_CAMU_UNSUPPORTED).
   */
  distributed?: DistributedOptions | 'env';
}

export interface AuditGroup {
  /** Rows of the population (train rows first, then test rows) audited in this group. */
  rows: number;
  /** RMIA score of each audited row: the fraction of population samples z it dominates. */
  scores: Float64Array;
}

/** audit()'s result: RmiaAuditResult or UliraAuditResult, told apart by `attack`. */
export type AuditResult = RmiaAuditResult | UliraAuditResult;

export interface RmiaAuditResult {
  attack: 'rmia';
  mode: 'online' | 'offline';
  /** `ranks`: distributed, the rank that trained each reference. */
  references: { count: number; trainingSeconds: number; seconds: number; cached: number; ranks?: number[] };
  groups: { forget: AuditGroup; retain: AuditGroup; test: AuditGroup };
  /** D_f rows (positives) against test rows: near 0.5 when the model looks as if it never saw D_f. */
  forgetVsTest: RocSummary;
  /** D_r rows against test rows: the attack's power on rows the model still holds. */
  retainVsTest: RocSummary;
  /** The loss attack (the audited model's true-class probability) on the same rows, for comparison. */
  lossAttack: { forgetVsTest: RocSummary; retainVsTest: RocSummary };
  populationSamples: number;
  seconds: number;
}

function defaultReferenceModel(model: Model, train: Dataset): CreateModelOptions {
  if (model.architecture === 'torchscript') {
    throw new CamuError('audit: the audited model is TorchScript, so camu cannot build its references; give options.referenceModel', ErrorCode.InvalidArgValue);
  }
  const [, c, h, w] = train.shape;
  const template: CreateModelOptions = {
    architecture: model.architecture,
    numClasses: model.numClasses ?? undefined,
    inChannels: c,
    precision: model.execution.precision,
  };
  if (model.architecture === 'cnn') template.inputSize = h;
  if (model.architecture === 'mlp') Object.assign(template, { inFeatures: c * h * w, hiddenSize: model.embeddingSize });
  if (model.inputSpec.mean.length > 0) Object.assign(template, { mean: [...model.inputSpec.mean], std: [...model.inputSpec.std] });
  return template;
}

/**
 * Audits `model` for its forget set: with RMIA (default), D_f rows against test rows; with
 * U-LiRA, the model against `retrained` on D_f rows (docs/audit.md). Progress: phase
 * 'references' (models trained of K), then 'shadows' (U-LiRA's experiments) or 'scoring' (RMIA:
 * models scored of K + 1). Bad options throw; an abort rejects with an AbortError, and finished
 * models stay in `cacheDir`.
 */
export function audit(options: AuditOptions & { attack?: 'rmia' }): Promise<RmiaAuditResult>;
export function audit(options: AuditOptions & { attack: 'ulira' }): Promise<UliraAuditResult>;
export function audit(options: AuditOptions): Promise<AuditResult>;
export function audit(options: AuditOptions): Promise<AuditResult> {
  const fn = 'audit';
  checkObject(options, `${fn}: options`);
  checkJobOptions(options, fn);
  if (!isModel(options.model)) throw invalidArgType(`${fn}: options.model must be a Model`);
  checkInstance(options.train, Dataset, `${fn}: options.train`);
  checkInstance(options.test, Dataset, `${fn}: options.test`);
  checkInstance(options.split, Split, `${fn}: options.split`);
  const attack = options.attack ?? 'rmia';
  checkOneOf(attack, `${fn}: options.attack`, ['rmia', 'ulira']);
  if (attack === 'ulira' && resolveDistributed(options.distributed, fn) !== undefined) {
    throw new CamuError(
      `${fn}: options.distributed applies to the 'rmia' attack's reference models; the 'ulira' attack's shadow experiments run in one process`,
      ErrorCode.Unsupported,
    );
  }
  if (attack === 'ulira') {
    // Complementary halves give each row K/2 observations a side; a variance needs 2.
    checkInteger(options.references, `${fn}: options.references (shadow experiments)`, { min: 4, max: 1024 });
    if (!isModel(options.retrained)) throw invalidArgType(`${fn}: options.retrained must be the Model retrained without D_f (attack 'ulira')`);
    methodDescriptor(options.method ?? 'camu', `${fn}: options.method`);
    checkObject(options.methodOptions ?? {}, `${fn}: options.methodOptions`);
  } else if (typeof options.references === 'number') {
    checkInteger(options.references, `${fn}: options.references`, { min: 1, max: 1024 });
  } else {
    checkObject(options.references, `${fn}: options.references`);
  }
  checkInteger(options.maxRows ?? 2000, `${fn}: options.maxRows`, { min: 2 });
  checkInteger(options.populationSamples ?? 1000, `${fn}: options.populationSamples`, { min: 1 });
  checkInteger(options.seed ?? 0, `${fn}: options.seed`, { min: 0 });
  checkRmiaOptions(options.rmia ?? {}, `${fn}: options.rmia`);
  if (attack === 'ulira') {
    return runUliraAudit({
      ...options,
      retrained: options.retrained as Model,
      shadows: options.references as number,
      shadowModel: options.referenceModel ?? defaultReferenceModel(options.model, options.train),
      method: options.method ?? 'camu',
      methodOptions: options.methodOptions ?? {},
      maxRows: options.maxRows ?? 2000,
      seed: options.seed ?? 0,
      jobs: options.jobs ?? 1,
    });
  }
  return runRmiaAudit(options, fn);
}

async function runRmiaAudit(options: AuditOptions, fn: string): Promise<RmiaAuditResult> {
  const started = Date.now();
  const { model, train, test, split, signal, onProgress } = options;
  const maxRows = options.maxRows ?? 2000;
  const zCount = options.populationSamples ?? 1000;
  const seed = options.seed ?? 0;
  const rmia = options.rmia ?? {};

  const population = datasetOfRows(`${train.name}+${test.name}`, [[train, allRows(train)], [test, allRows(test)]]);
  const forgetRows = evenlySpaced(Array.from(split.forgetIndices.toTypedArray() as BigInt64Array, Number), maxRows);
  const retainRows = evenlySpaced(Array.from(split.retainIndices.toTypedArray() as BigInt64Array, Number), maxRows);
  // Test rows and z come from one seeded shuffle of the test set: z first, audited rows after.
  const testOrder = shuffledIndices(test.size, createRng(seed)).map((j) => train.size + j);
  const zRows = testOrder.slice(0, Math.min(zCount, Math.floor(test.size / 2)));
  const testRows = testOrder.slice(zRows.length, zRows.length + maxRows).sort((a, b) => a - b);
  if (forgetRows.length === 0 || testRows.length < 2) {
    throw new CamuError(`${fn}: needs a non-empty forget set and at least 2 test rows besides the population samples`, ErrorCode.InvalidArgValue);
  }

  const references =
    typeof options.references === 'number'
      ? await trainReferenceModels({
          population,
          model: options.referenceModel ?? defaultReferenceModel(model, train),
          count: options.references,
          epochs: options.epochs,
          batchSize: options.batchSize,
          learningRate: options.learningRate,
          weightDecay: options.weightDecay,
          seed,
          jobs: options.jobs,
          cacheDir: options.cacheDir,
          distributed: options.distributed,
          signal,
          onProgress,
        })
      : options.references;
  if (references.inclusion.some((flags) => flags.length !== population.size)) {
    throw new CamuError(`${fn}: options.references were trained on another population than train + test (${population.size} rows)`, ErrorCode.InvalidArgValue);
  }

  const groups = [forgetRows, retainRows, testRows, zRows];
  const scoredRows = groups.flat();
  const K = references.models.length;
  const probabilities = async (scored: Model, step: number): Promise<Float64Array> => {
    const values = await trueClassProbabilities(scored, population, scoredRows, signal);
    onProgress?.({ phase: 'scoring', step, total: K + 1 });
    return values;
  };
  const target = await probabilities(model, 1);
  const reference: Float64Array[] = [];
  for (const [k, referenceModel] of references.models.entries()) reference.push(await probabilities(referenceModel, k + 2));
  const inReference = references.inclusion.map((flags) => Uint8Array.from(scoredRows, (row) => flags[row]));

  // Offsets of each group in allRows.
  const offsets = [0];
  for (const group of groups) offsets.push(offsets[offsets.length - 1] + group.length);
  const slice = (values: Float64Array, g: number) => values.slice(offsets[g], offsets[g + 1]);
  const flags = (values: Uint8Array, g: number) => values.slice(offsets[g], offsets[g + 1]);
  const samples = (g: number) => ({ target: slice(target, g), reference: reference.map((r) => slice(r, g)), inReference: inReference.map((r) => flags(r, g)) });
  const zSamples = samples(3);
  const [forgetScores, retainScores, testScores] = [0, 1, 2].map((g) => rmiaScores(samples(g), zSamples, rmia));
  const bootstrap = options.bootstrap ?? {};
  const summary = (members: Float64Array, nonMembers: Float64Array) => rocSummary(members, nonMembers, bootstrap);
  return {
    attack: 'rmia',
    mode: rmia.mode ?? 'online',
    references: {
      count: K,
      trainingSeconds: references.trainingSeconds,
      seconds: references.seconds,
      cached: references.cached,
      ...(references.ranks ? { ranks: references.ranks } : {}),
    },
    groups: {
      forget: { rows: forgetRows.length, scores: forgetScores },
      retain: { rows: retainRows.length, scores: retainScores },
      test: { rows: testRows.length, scores: testScores },
    },
    forgetVsTest: summary(forgetScores, testScores),
    retainVsTest: summary(retainScores, testScores),
    lossAttack: {
      forgetVsTest: summary(slice(target, 0), slice(target, 2)),
      retainVsTest: summary(slice(target, 1), slice(target, 2)),
    },
    populationSamples: zRows.length,
    seconds: (Date.now() - started) / 1000,
  };
}
