/**
 * Reference models for membership inference (docs/audit.md, "Reference models"): K models of the
 * audited model's architecture, each trained natively on a seeded random half of a population,
 * so that every population sample is a member of some references and a non-member of others.
 * Halves come in complementary pairs (model 2j trains on one half, model 2j+1 on the rest), so each
 * sample is in exactly half of an even number of references: the balance RMIA's offline mode and
 * LiRA's per-example fits rely on.
 */
import { Dataset } from '../datasets';
import { DistributedOptions, resolveDistributed } from '../distributed';
import { AbortError } from '../errors';
import { checkInstance, checkInteger, checkObject, checkString } from '../is';
import { checkJobOptions, JobOptions } from '../jobs';
import { cachedModel, contentHash } from '../model-cache';
import { CreateModelOptions, Model } from '../models';
import { tensor } from '../core';
import { modelFromBytes, nextGroupName, takeEach, watchedSignal, weightBytes, withTaskGroup } from '../tasks';
import { trainFromScratch } from '../train';
import { createRng, shuffledIndices } from './random';

/** The training recipe of every reference (default: camu train's, the paper's: Adam 1e-3, weight decay 1e-4, batch 32, 20 epochs). */
export interface ReferenceRecipe {
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  weightDecay?: number;
}

export interface ReferenceModelsOptions extends ReferenceRecipe, JobOptions {
  /** The population: each reference trains on a random half of it (the audited model's train set). */
  population: Dataset;
  /** Architecture and options of every reference: the audited model's (its `seed` is replaced per reference). */
  model: CreateModelOptions;
  /** K, the number of references (1-1024). */
  count: number;
  /** Seeds the halves and the references' initialisation and shuffling (default 0). */
  seed?: number;
  /** References trained at once (default 1); each uses the addon's intra-op threads. */
  jobs?: number;
  /** Where finished references are kept by content key, so that a rerun or an aborted run resumes. */
  cacheDir?: string;
  /**
   * Task parallelism across ranks (docs/distributed.md): every rank makes the same call, the ranks
   * take references from a shared queue (`jobs` at once each), and every rank ends with all K
   * (sent through rank 0's store). 'env': the rendezvous variables that `camu launch` sets.
   */
  distributed?: DistributedOptions | 'env';
}

export interface ReferenceModels {
  models: Model[];
  /** inclusion[k][i] is 1 when population sample i was in reference k's training half. */
  inclusion: Uint8Array[];
  /** Seconds spent training them, summed over the references (cached ones count their recorded time). */
  trainingSeconds: number;
  /** Wall-clock seconds of this call. */
  seconds: number;
  /** How many came from the cache. */
  cached: number;
  /** Distributed: the rank that trained (or took from its cache) each reference. */
  ranks?: number[];
}

const MAX_REFERENCES = 1024;

/** The training half of reference k: pairs of complementary halves from one seeded permutation per pair. */
export function referenceHalf(populationSize: number, seed: number, k: number): Uint8Array {
  checkInteger(populationSize, 'referenceHalf: populationSize', { min: 2 });
  checkInteger(seed, 'referenceHalf: seed', { min: 0 });
  checkInteger(k, 'referenceHalf: k', { min: 0, max: MAX_REFERENCES - 1 });
  const pair = Math.floor(k / 2);
  const order = shuffledIndices(populationSize, createRng(seed * MAX_REFERENCES + pair));
  const half = Math.floor(populationSize / 2);
  const inFirst = new Uint8Array(populationSize);
  for (let i = 0; i < half; ++i) inFirst[order[i]] = 1;
  if (k % 2 === 0) return inFirst;
  return inFirst.map((bit) => 1 - bit);
}

function membersOf(inclusion: Uint8Array): BigInt64Array {
  const members: bigint[] = [];
  inclusion.forEach((bit, i) => {
    if (bit === 1) members.push(BigInt(i));
  });
  return BigInt64Array.from(members);
}

/**
 * Trains (or takes from `cacheDir`) K reference models. Progress: phase 'references' with step
 * (references done) of total K, `cached` and `etaSeconds` (from the pace of those trained so
 * far). On abort it rejects with an AbortError; references already finished stay in the cache.
 */
export function trainReferenceModels(options: ReferenceModelsOptions): Promise<ReferenceModels> {
  const fn = 'trainReferenceModels';
  checkObject(options, `${fn}: options`);
  checkJobOptions(options, fn);
  checkInstance(options.population, Dataset, `${fn}: options.population`);
  checkObject(options.model, `${fn}: options.model`);
  checkInteger(options.count, `${fn}: options.count`, { min: 1, max: MAX_REFERENCES });
  checkInteger(options.seed ?? 0, `${fn}: options.seed`, { min: 0, max: 2 ** 40 });
  checkInteger(options.jobs ?? 1, `${fn}: options.jobs`, { min: 1, max: 64 });
  if (options.cacheDir !== undefined) checkString(options.cacheDir, `${fn}: options.cacheDir`);
  checkInteger(options.epochs ?? 20, `${fn}: options.epochs`, { min: 1 });
  resolveDistributed(options.distributed, fn);
  return trainAll(options, fn);
}


async function trainAll(options: ReferenceModelsOptions, fn: string): Promise<ReferenceModels> {
  const { population, model, count, signal, onProgress } = options;
  const seed = options.seed ?? 0;
  const jobs = options.jobs ?? 1;
  // The rest of the recipe is checked natively by the first training.
  const recipe = { epochs: options.epochs ?? 20, batchSize: options.batchSize ?? 32, learningRate: options.learningRate ?? 1e-3, weightDecay: options.weightDecay ?? 1e-4 };

  const started = Date.now();
  const inclusion = Array.from({ length: count }, (_, k) => referenceHalf(population.size, seed, k));
  const models: Model[] = new Array(count);
  let trainingSeconds = 0;
  let cached = 0;
  let done = 0;
  let trainedNow = 0;
  let next = 0;
  const { device: _device, seed: _seed, ...architecture } = model;
  void _device;
  void _seed;
  const dataKey = { population: population.name, size: population.size, shape: population.shape, numClasses: population.numClasses };

  const members = (k: number) => {
    const rows = membersOf(inclusion[k]);
    return tensor(rows, [rows.length]);
  };
  const templateOf = (k: number): CreateModelOptions => ({ ...model, seed: seed * MAX_REFERENCES + k });
  const trainOne = async (k: number, jobSignal = signal): Promise<{ seconds: number; cached: boolean }> => {
    const template = templateOf(k);
    const make = () =>
      trainFromScratch(template, { dataset: population, indices: members(k) }, { ...recipe, seed: seed * MAX_REFERENCES + k, signal: jobSignal });
    const key = { ...dataKey, architecture, recipe, seed, k, half: contentHash(Array.from(inclusion[k])) };
    const result = options.cacheDir === undefined ? { ...(await make()), cached: false } : await cachedModel(options.cacheDir, 'reference', key, template, make, jobSignal);
    models[k] = result.model;
    counted(result);
    return result;
  };
  const counted = (result: { seconds: number; cached: boolean }) => {
    trainingSeconds += result.seconds;
    done += 1;
    if (result.cached) cached += 1;
    else trainedNow += 1;
    const elapsed = (Date.now() - started) / 1000;
    const etaSeconds = trainedNow > 0 ? (elapsed / trainedNow) * (count - done) : 0;
    onProgress?.({ phase: 'references', step: done, total: count, cached, etaSeconds });
  };
  const distributed = resolveDistributed(options.distributed, fn);
  let trainedBy: number[] | undefined;
  if (distributed !== undefined) {
    // Task parallelism: each rank trains the references it takes and publishes their weights;
    // then every rank reads the others' (rank 0's store carries them).
    await withTaskGroup(distributed, nextGroupName('references'), signal, async (group) => {
      const watched = watchedSignal(group, signal);
      try {
        const mine = new Set<number>();
        const ranks: number[] = new Array(count).fill(group.rank);
        await takeEach(group, 'references', count, jobs, async (k) => {
          mine.add(k);
          const result = await trainOne(k, watched.signal);
          const header = Buffer.from(`${JSON.stringify({ k, rank: group.rank, seconds: result.seconds, cached: result.cached })}\n`);
          group.put(`reference/${k}`, Buffer.concat([header, await weightBytes(models[k], watched.signal)]));
        });
        const others = Array.from({ length: count }, (_, k) => k).filter((k) => !mine.has(k));
        const values = await group.get(others.map((k) => `reference/${k}`), watched.signal);
        for (const [i, k] of others.entries()) {
          const bytes = values[i];
          const end = bytes.indexOf(10);
          const header = JSON.parse(bytes.subarray(0, end).toString('utf8')) as { rank: number; seconds: number; cached: boolean };
          models[k] = await modelFromBytes(templateOf(k), bytes.subarray(end + 1), watched.signal);
          ranks[k] = header.rank;
          counted(header);
        }
        trainedBy = ranks;
      } catch (error) {
        // A training aborted because another rank failed: that rank's failure is the error.
        const problem = watched.reason();
        if (problem !== undefined && !signal?.aborted) throw problem;
        throw error;
      } finally {
        watched.stop();
      }
    });
    return { models, inclusion, trainingSeconds, seconds: (Date.now() - started) / 1000, cached, ranks: trainedBy };
  }
  let failed = false;  // after a failure the other workers take no new reference
  const worker = async (): Promise<void> => {
    while (next < count && !failed) {
      if (signal?.aborted) throw new AbortError(`${fn} was aborted`, { cause: signal.reason });
      try {
        await trainOne(next++);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, count) }, worker));
  return { models, inclusion, trainingSeconds, seconds: (Date.now() - started) / 1000, cached };
}
