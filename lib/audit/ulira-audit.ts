/**
 * The U-LiRA audit of an unlearned model (Hayes et al. 2024; docs/audit.md, "U-LiRA"): can an
 * attacker tell it from the model retrained without the forget set?
 *
 * K shadow experiments, each on a random half H_k of the train set (complementary pairs, as the
 * reference models of lib/audit/references.ts: each forget row is in exactly K/2 halves): an
 * original trained on H_k, the method applied to forget D_f ∩ H_k from it, and a model retrained
 * on H_k without D_f. Every audited row gets, per experiment whose half held it, one observation
 * under the unlearned shadow and one under the retrained shadow; the Gaussian fits of their
 * logit-scaled confidences (lib/audit/ulira.ts) score the audited pair's rows, and the ROC summary
 * of the unlearned model's scores against the retrained model's says how well they are told apart.
 */
import { Dataset } from '../datasets';
import { AbortError } from '../errors';
import { JobOptions } from '../jobs';
import { cachedModel, contentHash } from '../model-cache';
import { CreateModelOptions, Model } from '../models';
import { makeSplit, Split } from '../splits';
import { trainFromScratch } from '../train';
import { methodDescriptor, unlearn } from '../unlearn';
import { ReferenceRecipe, trainReferenceModels } from './references';
import { createRng } from './random';
import { Interval, percentileInterval, rocAuc, RocSummary, RocSummaryOptions } from './roc';
import { allRows, datasetOfRows, evenlySpaced, trueClassProbabilities } from './rows';
import { fitUlira, UliraFitOptions, uliraEvaluation, uliraScores } from './ulira';

export interface UliraAuditInput extends ReferenceRecipe, JobOptions {
  model: Model;
  retrained: Model;
  train: Dataset;
  split: Split;
  shadows: number;
  shadowModel: CreateModelOptions;
  method: string;
  methodOptions: Record<string, unknown>;
  maxRows: number;
  seed: number;
  jobs: number;
  cacheDir?: string;
  fit?: UliraFitOptions;
  bootstrap?: Pick<RocSummaryOptions, 'resamples' | 'level' | 'seed'>;
}

/** The held-out shadows' ROC summary (its intervals resample rows) and the AUC's interval from resampling the experiments. */
export interface HeldOutSummary extends RocSummary {
  experiments: number;
  aucByExperiments: Interval;
}

export interface UliraAuditResult {
  attack: 'ulira';
  method: string;
  /** Shadow experiments: their count, and seconds spent training originals, unlearning and retraining. */
  shadows: { count: number; originalSeconds: number; unlearnSeconds: number; retrainSeconds: number; cached: number };
  /** Audited rows of D_f, and the observations per row on each side (K/2 with complementary halves). */
  rows: number;
  observationsPerRow: number;
  variance: 'per-example' | 'global';
  /** U-LiRA scores of the audited rows under the unlearned model and under the retrained one. */
  scores: { unlearned: Float64Array; retrained: Float64Array };
  /** Unlearned (positives) against retrained (negatives): 0.5 when the attack cannot tell them apart. */
  unlearnedVsRetrained: RocSummary;
  /**
   * The same test on the shadows, each experiment held out in turn (K >= 6, else null): the
   * method's models against retrained ones across K seeds and halves, where the audited pair is one.
   */
  heldOutShadows: HeldOutSummary | null;
  seconds: number;
}

/** Shadows for the held-out evaluation: each row keeps K/2 - 1 observations a side, and a variance needs 2. */
const MIN_HELD_OUT_SHADOWS = 6;

/**
 * Each shadow experiment in turn as the audited pair: its unlearned and retrained shadows scored on
 * the rows it forgot, by fits of the other experiments' observations. Unlike the audited pair alone
 * (one unlearned and one retrained model, whose interval covers the rows but not the models'
 * seeds), the pooled scores span K pairs of models.
 */
function heldOutEvaluation(observations: { k: number; unlearned: number; retrained: number }[][], count: number, input: UliraAuditInput): HeldOutSummary {
  const perExperiment: { positives: Float64Array; negatives: Float64Array }[] = [];
  for (let k = 0; k < count; ++k) {
    const rows = observations.filter((o) => o.some((x) => x.k === k));
    if (rows.length === 0) continue;
    const others = rows.map((o) => o.filter((x) => x.k !== k));
    const fit = fitUlira({ unlearned: others.map((o) => o.map((x) => x.unlearned)), retrained: others.map((o) => o.map((x) => x.retrained)) }, input.fit);
    const held = rows.map((o) => o.find((x) => x.k === k) as { unlearned: number; retrained: number });
    perExperiment.push({ positives: uliraScores(fit, held.map((x) => x.unlearned)), negatives: uliraScores(fit, held.map((x) => x.retrained)) });
  }
  const pooled = (chosen: readonly number[]) => ({
    positives: chosen.flatMap((e) => Array.from(perExperiment[e].positives)),
    negatives: chosen.flatMap((e) => Array.from(perExperiment[e].negatives)),
  });
  const all = pooled(perExperiment.map((_, e) => e));
  const summary = uliraEvaluation(all.positives, all.negatives, input.bootstrap ?? {});
  // A row's scores move with its model: resampling the experiments, not the rows, gives the
  // interval that covers the models' seeds and halves.
  const resamples = input.bootstrap?.resamples ?? 1000;
  const rng = createRng(input.bootstrap?.seed ?? 0);
  const aucs = Array.from({ length: resamples }, () => {
    const drawn = pooled(perExperiment.map(() => rng.nextBelow(perExperiment.length)));
    return rocAuc(drawn.positives, drawn.negatives);
  });
  return { ...summary, experiments: perExperiment.length, aucByExperiments: percentileInterval(aucs, input.bootstrap?.level ?? 0.95) };
}

export async function runUliraAudit(input: UliraAuditInput): Promise<UliraAuditResult> {
  const started = Date.now();
  const { model, retrained, train, split, shadows: count, method, signal, onProgress } = input;
  const recipe = { epochs: input.epochs ?? 20, batchSize: input.batchSize ?? 32, learningRate: input.learningRate ?? 1e-3, weightDecay: input.weightDecay ?? 1e-4 };
  const forget = Array.from(split.forgetIndices.toTypedArray() as BigInt64Array, Number);
  const inForget = new Uint8Array(train.size);
  for (const row of forget) inForget[row] = 1;
  const audited = evenlySpaced(forget, input.maxRows);
  // The audited split's preset (a class or a random removal) is the shadows' too: their splits
  // list rows, which no preset would recognise.
  const descriptor = methodDescriptor(method, 'audit: options.method');
  const preset = (input.methodOptions.preset as string | undefined) ?? descriptor.presetFor?.(split) ?? undefined;

  const originals = await trainReferenceModels({ population: train, model: input.shadowModel, count, ...recipe, seed: input.seed, jobs: input.jobs, cacheDir: input.cacheDir, signal, onProgress });
  // Per audited row, its observations: the experiment, and its probability under that
  // experiment's unlearned and retrained shadows.
  const observations: { k: number; unlearned: number; retrained: number }[][] = audited.map(() => []);
  let unlearnSeconds = 0;
  let retrainSeconds = 0;
  let cached = originals.cached;
  const fromCache = (kind: string, key: Record<string, unknown>, make: () => Promise<{ model: Model; seconds: number }>) =>
    input.cacheDir === undefined ? make().then((made) => ({ ...made, cached: false })) : cachedModel(input.cacheDir, kind, key, { ...input.shadowModel, seed: 0 }, make, signal);
  const shadowsStarted = Date.now();
  for (let k = 0; k < count; ++k) {
    if (signal?.aborted) throw new AbortError('audit was aborted', { cause: signal.reason });
    const half = originals.inclusion[k];
    const members = allRows(train).filter((row) => half[row] === 1);
    // The shadow's own train set is its half: its split forgets the half's D_f rows.
    const shadowTrain = datasetOfRows(`${train.name}-half-${k}`, [[train, members]]);
    const localForget = members.flatMap((row, local) => (inForget[row] === 1 ? [local] : []));
    const shadowSplit = makeSplit(shadowTrain, { type: 'indices', indices: localForget }, { seed: input.seed });
    // Every shadow model draws its own seed, as independent runs of the method and of retraining would.
    const unlearnSeed = input.seed * 2048 + 1024 + k;
    const retrainSeed = input.seed * 2048 + k;
    const key = { population: train.name, size: train.size, recipe, seed: input.seed, k, half: contentHash(Array.from(half)), forget: contentHash(localForget) };
    const unlearned = await fromCache('ulira-unlearned', { ...key, unlearnSeed, method, methodOptions: input.methodOptions, preset: preset ?? null }, async () => {
      const result = await unlearn(originals.models[k], shadowSplit, { ...input.methodOptions, method, preset, train: shadowTrain, seed: unlearnSeed, signal });
      return { model: result.model, seconds: result.stats.seconds };
    });
    const retrainedShadow = await fromCache('ulira-retrained', { ...key, retrainSeed }, () =>
      trainFromScratch({ ...input.shadowModel, seed: retrainSeed }, { dataset: shadowTrain, indices: shadowSplit.retainIndices }, { ...recipe, seed: retrainSeed, signal }),
    );
    unlearnSeconds += unlearned.seconds;
    retrainSeconds += retrainedShadow.seconds;
    cached += (unlearned.cached ? 1 : 0) + (retrainedShadow.cached ? 1 : 0);
    // Observations of the audited rows this half held (and so forgot).
    const observed = audited.flatMap((row, i) => (half[row] === 1 ? [i] : []));
    const rows = observed.map((i) => audited[i]);
    if (rows.length > 0) {
      const [u, r] = [await trueClassProbabilities(unlearned.model, train, rows, signal), await trueClassProbabilities(retrainedShadow.model, train, rows, signal)];
      observed.forEach((i, j) => observations[i].push({ k, unlearned: u[j], retrained: r[j] }));
    }
    const elapsed = (Date.now() - shadowsStarted) / 1000;
    onProgress?.({ phase: 'shadows', step: k + 1, total: count, etaSeconds: (elapsed / (k + 1)) * (count - k - 1) });
  }

  const fit = fitUlira({ unlearned: observations.map((o) => o.map((x) => x.unlearned)), retrained: observations.map((o) => o.map((x) => x.retrained)) }, input.fit);
  const scores = {
    unlearned: uliraScores(fit, await trueClassProbabilities(model, train, audited, signal)),
    retrained: uliraScores(fit, await trueClassProbabilities(retrained, train, audited, signal)),
  };
  return {
    attack: 'ulira',
    method,
    shadows: { count, originalSeconds: originals.trainingSeconds, unlearnSeconds, retrainSeconds, cached },
    rows: audited.length,
    observationsPerRow: Math.min(...observations.map((o) => o.length)),
    variance: fit.variance,
    scores,
    unlearnedVsRetrained: uliraEvaluation(scores.unlearned, scores.retrained, input.bootstrap ?? {}),
    heldOutShadows: count >= MIN_HELD_OUT_SHADOWS ? heldOutEvaluation(observations, count, input) : null,
    seconds: (Date.now() - started) / 1000,
  };
}
