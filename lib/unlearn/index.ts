/**
 * Unlearning: `unlearn(model, split, { method, train, ...options })` removes a forget set's
 * influence from a trained model and resolves with a NEW model (the input model is never
 * modified) plus run statistics. The methods and their options are the descriptors in
 * lib/unlearn/methods/ (`METHOD_NAMES`); 'camu' is the default.
 */
import { Dataset } from '../datasets';
import { checkBoolean, checkInstance, checkInteger, checkNumber, checkObject, checkOneOf, invalidArgType } from '../is';
import { JobOptions, runJob, splitJobOptions } from '../jobs';
import { isModel, Model } from '../models';
import { binding, RawUnlearnStats } from '../native';
import { DistributedOptions, resolveDistributed } from '../distributed';
import { Split } from '../splits';
import { resolveOptions } from './descriptor';
import { methodDescriptor } from './methods';

export type { MethodDescriptor, OptionSchema, OptionSpec, OptionValues } from './descriptor';
export { METHOD_NAMES, methodDescriptor, methodDescriptors } from './methods';

/** Options every method takes; each method adds its own (its descriptor's `options`). */
export interface UnlearnOptions extends JobOptions {
  /** A name from METHOD_NAMES (default 'camu'). */
  method?: string;
  /** The train set `split` was made from (its name and size are checked). */
  train: Dataset;
  /** A named preset of the method's descriptor. Default: the one that fits the split, if any. */
  preset?: string;
  /** Named ablations of the method's descriptor, each switching off one component. */
  ablate?: readonly string[];
  /** Seeds every draw of the run. Default: the split's seed. */
  seed?: number;
  device?: 'cpu' | 'cuda';
  /**
   * The retained-accuracy guard: the run stops with a CamuError ERR_CAMU_RETAIN_FLOOR when the
   * model's accuracy (%) on a probe of D_r falls below this floor at one of its checks. Default:
   * half the original model's accuracy on the same probe; 0 switches the guard off.
   */
  retainFloor?: number;
  /** D_r samples in the guard's probe, evenly spaced over D_r (default 512). */
  retainProbe?: number;
  /** The guard's checks in all: evenly spread over the run's steps, the last after the last step (default 10). */
  retainChecks?: number;
  /**
   * After every step, check every weight of the model being unlearned for NaN and infinities
   * (ERR_CAMU_NON_FINITE naming the weight). Default false: every step's loss terms are always
   * checked; this costs one reduction per weight tensor per step.
   */
  checkWeights?: boolean;
  /**
   * Data-parallel unlearning as one rank of several (docs/distributed.md): explicit rendezvous
   * options, or 'env' for MASTER_ADDR, MASTER_PORT, WORLD_SIZE and RANK (one process when
   * WORLD_SIZE is unset). Every rank makes the same call; each computes the method's losses on its
   * shard of every batch, and the gradients are all-reduced before each optimiser step (SSD, which
   * takes no gradient step, runs in full on every rank).
   */
  distributed?: DistributedOptions | 'env';
  /** The method's own options: see its descriptor (`methodDescriptor(name).options`). */
  [option: string]: unknown;
}

export type UnlearnStats = RawUnlearnStats & {
  /** The preset applied, if any. */
  preset: string | null;
  /** Every option the run used, with the seed. */
  settings: Record<string, number | boolean | string>;
};

export interface UnlearnResult {
  model: Model;
  stats: UnlearnStats;
}

const GUARD_OPTIONS = ['retainFloor', 'retainProbe', 'retainChecks'] as const;
const COMMON_OPTIONS = new Set(['method', 'train', 'preset', 'ablate', 'seed', 'device', 'checkWeights', 'distributed', 'signal', 'onProgress', ...GUARD_OPTIONS]);

/** The guard's options as given (absent ones take the native defaults of unlearn/retain_guard.h). */
function guardOptions(given: UnlearnOptions, fn: string): Partial<Record<(typeof GUARD_OPTIONS)[number], number>> {
  const guard: Partial<Record<(typeof GUARD_OPTIONS)[number], number>> = {};
  if (given.retainFloor !== undefined) {
    checkNumber(given.retainFloor, `${fn}: options.retainFloor`, { min: 0, max: 100 });
    guard.retainFloor = given.retainFloor;
  }
  for (const name of ['retainProbe', 'retainChecks'] as const) {
    if (given[name] === undefined) continue;
    checkInteger(given[name], `${fn}: options.${name}`, { min: 1 });
    guard[name] = given[name];
  }
  return guard;
}

/** Validates and resolves everything before the job starts, so bad arguments throw (never reject). */
function prepare(model: unknown, split: unknown, options: unknown, fn: string) {
  if (!isModel(model)) throw invalidArgType(`${fn}: model must be a Model (createModel, loadTorchScript, train)`);
  checkInstance(split, Split, `${fn}: split`);
  checkObject(options, `${fn}: options`);
  const given = options as UnlearnOptions;
  const descriptor = methodDescriptor(given.method ?? 'camu', `${fn}: options.method`);
  checkInstance(given.train, Dataset, `${fn}: options.train`);
  const seed = given.seed ?? split.seed;
  checkInteger(seed, `${fn}: options.seed`, { min: 0 });
  if (given.device !== undefined) checkOneOf(given.device, `${fn}: options.device`, ['cpu', 'cuda']);
  if (given.checkWeights !== undefined) checkBoolean(given.checkWeights, `${fn}: options.checkWeights`);
  const own: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(given)) if (!COMMON_OPTIONS.has(key)) own[key] = value;
  const resolved = resolveOptions(descriptor, split, own, fn, { preset: given.preset, ablate: given.ablate });
  const settings = { ...resolved.values, seed };
  const guard = guardOptions(given, fn);
  const distributed = resolveDistributed(given.distributed, fn);
  return {
    descriptor, split, train: given.train, resolved, settings,
    native: { ...settings, ...guard, device: given.device ?? 'cpu', ...(given.checkWeights ? { checkWeights: true } : {}) },
    distributed,
  };
}

/**
 * Unlearns `split`'s forget set from `model` with `options.method`. One native job runs every
 * epoch and step, reports progress (the method's setup phases, then 'removal' steps with its
 * per-step scalars) and stops between steps when `signal` aborts.
 */
export function unlearn(model: Model, split: Split, options: UnlearnOptions): Promise<UnlearnResult> {
  const run = prepare(model, split, options, 'unlearn');
  const [job] = splitJobOptions(options, 'unlearn');
  return runJob('unlearn', job, (progress, flag) =>
    binding.unlearn(run.descriptor.name, model, run.train, run.split, run.native, run.distributed, progress, flag),
  ).then(({ model: unlearned, stats }) => ({ model: unlearned, stats: { ...stats, preset: run.resolved.preset, settings: run.settings } }));
}

/** {@link unlearn} on the calling thread (no progress, no abort); for scripts and tests. */
export function unlearnSync(model: Model, split: Split, options: UnlearnOptions): UnlearnResult {
  const run = prepare(model, split, options, 'unlearnSync');
  const { model: unlearned, stats } = binding.unlearnSync(run.descriptor.name, model, run.train, run.split, run.native, run.distributed);
  return { model: unlearned, stats: { ...stats, preset: run.resolved.preset, settings: run.settings } };
}
