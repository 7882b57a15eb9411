/**
 * Forget / retain / sample sets (docs/algorithm.md §1, §4), built natively from a seed as
 * int64 index tensors into a train set, and their JSON form for other tools.
 *
 * - forgetIndices: D_f, ascending train indices;
 * - retainIndices: D_r = every other train index, ascending;
 * - sampleIndices: D_s, |D_f| × forgetRepeat indices drawn uniformly from D_r without
 *   replacement, kept in the order drawn (its "loader order").
 *
 * forgetRepeat: 10 is the paper's CIFAR-100 class removal: D_f counts ten times in the
 * counterfactual pairing, so D_s is drawn to ten times its size.
 */
import * as path from 'node:path';
import { Dataset, Tensor } from './datasets/dataset';
import { CamuError, ErrorCode } from './errors';
import { writeFileAtomic } from './fs-atomic';
import { readRegularFile, readRegularFileSync } from './fs-read';
import { checkInstance, checkInteger, checkObject, checkOneOf, checkString, describeValue, invalidArgType, isObject, outOfRange } from './is';
import { binding, RawIndexArray, RawSplit, RawSplitIndices } from './native';

/** Which samples a deletion request removes. */
export type Scenario =
  /**
   * Class removal, the general form: for each `classes[i]`, remove round(proportions[i] × n_c) of
   * its samples (uniformly chosen; all of them for 1). Default proportions: all 1.
   */
  | { type: 'class'; classes: number[]; proportions?: number[] }
  /** Random removal of a fraction in (0, 1) of the train set (rounded to a count). */
  | { type: 'random'; fraction: number }
  /** Random removal of exactly `count` train samples. */
  | { type: 'random'; count: number }
  /**
   * An explicit forget set: train indices from JS, or from a JSON file holding an array of
   * integers or an object with an `indices` array. D_s is drawn from the seed.
   */
  | { type: 'indices'; indices: readonly number[] | Int32Array | BigInt64Array }
  | { type: 'indices'; file: string };

/** The JSON description of a scenario, as stored in split files. */
export type ScenarioDescription = { type: string } & Record<string, unknown>;

export interface SplitOptions {
  /** Seeds every random choice of the split. Default 0. */
  seed?: number;
  /** How often D_f counts in the counterfactual pairing (10 for the paper's CIFAR-100 class removal). Default 1. */
  forgetRepeat?: number;
}

export interface SplitDatasetInfo {
  readonly name: string;
  readonly trainSize: number;
  readonly numClasses: number;
}

/** The JSON form of a split ("camu-split", version 1). Retain = every train index not in forgetIndices. */
export interface SplitJson {
  format: 'camu-split';
  version: 1;
  dataset: { name: string; trainSize: number; numClasses: number };
  scenario: ScenarioDescription;
  seed: number;
  forgetRepeat: number;
  forgetIndices: number[];
  sampleIndices: number[];
}

/** A forget / retain / sample split of a train set; the index tensors live natively. */
export class Split implements RawSplit {
  /** Set by the constructor only: `instanceof Split` checks it, not the prototype (a forged object is no Split). */
  readonly #constructed = true;
  static [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && #constructed in value;
  }
  /** `self`, refused (coded TypeError) when it only has Split's prototype: for the getters and methods. */
  static #checked<T extends Split>(self: T): T {
    if (!(#constructed in self)) throw invalidArgType('this must be a Split made by camu (makeSplit, loadSplit, splitFromJson), got an object that only has its prototype');
    return self;
  }
  readonly dataset: SplitDatasetInfo;
  readonly scenario: ScenarioDescription;
  readonly seed: number;
  readonly forgetRepeat: number;
  readonly forgetIndices: Tensor;
  readonly retainIndices: Tensor;
  readonly sampleIndices: Tensor;

  /**
   * @internal Splits are made by makeSplit, splitFromJson and loadSplit. Called directly, the
   * fields' types are checked here (coded TypeError / RangeError); the indices themselves are
   * checked natively wherever the split is used.
   */
  constructor(fields: {
    dataset: SplitDatasetInfo;
    scenario: ScenarioDescription;
    seed: number;
    forgetRepeat: number;
    indices: RawSplitIndices;
  }) {
    checkObject(fields, 'new Split: fields');
    checkObject(fields.dataset, 'new Split: fields.dataset');
    checkString(fields.dataset.name, 'new Split: fields.dataset.name');
    checkInteger(fields.dataset.trainSize, 'new Split: fields.dataset.trainSize', { min: 1 });
    checkObject(fields.scenario, 'new Split: fields.scenario');
    checkInteger(fields.seed, 'new Split: fields.seed', { min: 0 });
    checkInteger(fields.forgetRepeat, 'new Split: fields.forgetRepeat', { min: 1 });
    checkObject(fields.indices, 'new Split: fields.indices');
    for (const key of ['forgetIndices', 'retainIndices', 'sampleIndices'] as const) {
      if (binding.handleType(fields.indices[key]) !== 'Tensor') {
        throw invalidArgType(`new Split: fields.indices.${key} must be a Tensor, got ${describeValue(fields.indices[key])}`);
      }
    }
    this.dataset = Object.freeze({ ...fields.dataset });
    this.scenario = Object.freeze({ ...fields.scenario });
    this.seed = fields.seed;
    this.forgetRepeat = fields.forgetRepeat;
    this.forgetIndices = fields.indices.forgetIndices;
    this.retainIndices = fields.indices.retainIndices;
    this.sampleIndices = fields.indices.sampleIndices;
    Object.freeze(this);
  }

  /** |D_f| (each index once, whatever forgetRepeat is). */
  get forgetSize(): number {
    return Split.#checked(this).forgetIndices.numel;
  }
  /** |D_r|. */
  get retainSize(): number {
    return Split.#checked(this).retainIndices.numel;
  }
  /** |D_s| = |D_f| × forgetRepeat. */
  get sampleSize(): number {
    return Split.#checked(this).sampleIndices.numel;
  }

  /** One line for logs and reports, e.g. "mnist class removal (classes 0): |D_f| = 5923, |D_r| = 54077, |D_s| = 5923, seed 0". */
  get description(): string {
    const s = Split.#checked(this).scenario;
    let what: string;
    if (s.type === 'class') {
      const classes = (s.classes as number[]).join(', ');
      const proportions = s.proportions as number[] | undefined;
      const partial = proportions && proportions.some((p) => p !== 1) ? `, proportions ${proportions.join(', ')}` : '';
      what = `class removal (classes ${classes}${partial})`;
    } else if (s.type === 'random') {
      what =
        s.fraction !== undefined
          ? `random removal (${Number((Number(s.fraction) * 100).toPrecision(12))}%)`
          : `random removal (${String(s.count)} samples)`;
    } else if (s.type === 'indices') {
      what = s.file !== undefined ? `explicit indices (${String(s.file)})` : 'explicit indices';
    } else {
      what = `${s.type} scenario`;
    }
    const repeat = this.forgetRepeat > 1 ? ` (x${this.forgetRepeat})` : '';
    return (
      `${this.dataset.name} ${what}: |D_f| = ${this.forgetSize}${repeat}, |D_r| = ${this.retainSize}, ` +
      `|D_s| = ${this.sampleSize}, seed ${this.seed}`
    );
  }

  /** The "camu-split" JSON form (see SplitJson). */
  toJSON(): SplitJson {
    const { dataset, scenario, seed, forgetRepeat, forgetIndices, sampleIndices } = Split.#checked(this);
    return {
      format: 'camu-split',
      version: 1,
      dataset: { name: dataset.name, trainSize: dataset.trainSize, numClasses: dataset.numClasses },
      scenario: { ...scenario },
      seed,
      forgetRepeat,
      forgetIndices: Array.from(forgetIndices.toTypedArray() as BigInt64Array, Number),
      sampleIndices: Array.from(sampleIndices.toTypedArray() as BigInt64Array, Number),
    };
  }
}

function checkSplitOptions(options: SplitOptions, fn: string): { seed: number; forgetRepeat: number } {
  checkObject(options, `${fn}: options`);
  const seed = options.seed ?? 0;
  const forgetRepeat = options.forgetRepeat ?? 1;
  checkInteger(seed, `${fn}: options.seed`, { min: 0 });
  checkInteger(forgetRepeat, `${fn}: options.forgetRepeat`, { min: 1, max: 1000 });
  return { seed, forgetRepeat };
}

/** number[] -> Float64Array (native checks that every entry is an integer); typed arrays pass through. */
function indexArray(value: unknown, name: string): RawIndexArray {
  if (value instanceof Int32Array || value instanceof BigInt64Array || value instanceof Float64Array) return value;
  if (Array.isArray(value)) {
    const list: unknown[] = value;
    list.forEach((entry, i) => {
      if (typeof entry !== 'number') throw invalidArgType(`${name}[${i}] must be a number, got ${describeValue(entry)}`);
    });
    return Float64Array.from(list as number[]);
  }
  throw invalidArgType(`${name} must be an array of integers, an Int32Array or a BigInt64Array, got ${describeValue(value)}`);
}

function readIndexFile(file: string, fn: string): unknown {
  let text: string;
  try {
    text = readRegularFileSync(file);
  } catch (error) {
    throw new CamuError(`${fn}: cannot read ${file}: ${(error as Error).message}`, ErrorCode.Io, { cause: error });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new CamuError(`${file}: not valid JSON (${(error as Error).message})`, ErrorCode.Format, { cause: error });
  }
  const indices = Array.isArray(parsed) ? parsed : (parsed as { indices?: unknown } | null)?.indices;
  if (!Array.isArray(indices)) {
    throw new CamuError(`${file}: expected a JSON array of indices or an object with an "indices" array`, ErrorCode.Format);
  }
  indices.forEach((entry, i) => {
    if (typeof entry !== 'number') throw new CamuError(`${file}: entry ${i} is not a number`, ErrorCode.Format);
  });
  return indices;
}

/**
 * Builds a split of `trainSet` for a scenario, natively, reproducibly from `options.seed`.
 * Bad scenarios throw TypeError / RangeError naming the argument (an empty forget set, a
 * fraction outside (0, 1), a class not in the data, duplicate or out-of-range indices, a forget
 * set too large to draw D_s from the retain set); a bad index file throws a CamuError naming it.
 */
export function makeSplit(trainSet: Dataset, scenario: Scenario, options: SplitOptions = {}): Split {
  const fn = 'makeSplit';
  checkInstance(trainSet, Dataset, `${fn}: trainSet`);
  const { seed, forgetRepeat } = checkSplitOptions(options, fn);
  checkObject(scenario, `${fn}: scenario`);
  checkOneOf(scenario.type, `${fn}: scenario.type`, ['class', 'random', 'indices']);
  let indices: RawSplitIndices;
  let description: ScenarioDescription;
  switch (scenario.type) {
    case 'class': {
      const proportions = scenario.proportions ?? (Array.isArray(scenario.classes) ? scenario.classes.map(() => 1) : undefined);
      indices = binding.classRemovalSplit(trainSet, { classes: scenario.classes, proportions, seed, forgetRepeat });
      description = { type: 'class', classes: [...scenario.classes], proportions: [...(proportions ?? [])] };
      break;
    }
    case 'random': {
      const { fraction, count } = scenario as { fraction?: number; count?: number };
      indices = binding.randomRemovalSplit(trainSet, { fraction, count, seed, forgetRepeat });
      description = fraction !== undefined ? { type: 'random', fraction } : { type: 'random', count };
      break;
    }
    case 'indices': {
      if ('file' in scenario && scenario.file !== undefined) {
        checkString(scenario.file, `${fn}: scenario.file`);
        const file = path.resolve(scenario.file);
        const list = indexArray(readIndexFile(file, fn), file);
        indices = binding.indexSplit(trainSet, list, undefined, {
          seed,
          forgetRepeat,
          forgetName: file,
          fromFile: true,
        });
        description = { type: 'indices', file, count: indices.forgetIndices.numel };
      } else {
        const list = indexArray((scenario as { indices?: unknown }).indices, `${fn}: scenario.indices`);
        indices = binding.indexSplit(trainSet, list, undefined, {
          seed,
          forgetRepeat,
          forgetName: `${fn}: scenario.indices`,
        });
        description = { type: 'indices', count: indices.forgetIndices.numel };
      }
      break;
    }
  }
  return new Split({
    dataset: { name: trainSet.name, trainSize: trainSet.size, numClasses: trainSet.numClasses },
    scenario: description,
    seed,
    forgetRepeat,
    indices,
  });
}

/** The split's JSON form (same as split.toJSON()). */
export function splitToJson(split: Split): SplitJson {
  checkInstance(split, Split, 'splitToJson: split');
  return split.toJSON();
}

/**
 * A split from its JSON form, validated against `trainSet`: the format and version, the dataset
 * (name, train size, classes), and every index (integers, in range, no duplicates, D_s disjoint
 * from D_f, |D_s| = |D_f| × forgetRepeat). `source` names the JSON in errors (e.g. its file).
 */
export function splitFromJson(json: unknown, trainSet: Dataset, source = 'split JSON'): Split {
  const fn = 'splitFromJson';
  checkInstance(trainSet, Dataset, `${fn}: trainSet`);
  const fail = (message: string): never => {
    throw new CamuError(`${source}: ${message}`, ErrorCode.Format);
  };
  if (!isObject(json)) fail('not a camu split (expected a JSON object)');
  const data = json as Record<string, unknown>;
  if (data.format !== 'camu-split') fail(`not a camu split (format is ${JSON.stringify(data.format)})`);
  if (data.version !== 1) {
    throw new CamuError(
      `${source}: camu split version ${JSON.stringify(data.version)} is not supported (this camu reads version 1)`,
      ErrorCode.Unsupported,
    );
  }
  const dataset = data.dataset as Record<string, unknown> | undefined;
  if (
    !isObject(dataset) ||
    typeof dataset.name !== 'string' ||
    !Number.isSafeInteger(dataset.trainSize) ||
    !Number.isSafeInteger(dataset.numClasses)
  ) {
    fail('"dataset" must be {"name": string, "trainSize": integer, "numClasses": integer}');
  }
  const info = dataset as unknown as SplitDatasetInfo;
  if (info.name !== trainSet.name || info.trainSize !== trainSet.size || info.numClasses !== trainSet.numClasses) {
    throw outOfRange(
      `${source}: the split was made for '${info.name}' (${info.trainSize} train samples, ${info.numClasses} classes), ` +
        `not for '${trainSet.name}' (${trainSet.size} train samples, ${trainSet.numClasses} classes)`,
    );
  }
  const scenario = data.scenario as ScenarioDescription | undefined;
  if (!isObject(scenario) || typeof scenario.type !== 'string') {
    fail('"scenario" must be an object with a string "type"');
  }
  const seed = data.seed;
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed) || seed < 0) fail('"seed" must be a non-negative integer');
  const forgetRepeat = data.forgetRepeat;
  if (typeof forgetRepeat !== 'number' || !Number.isInteger(forgetRepeat) || forgetRepeat < 1 || forgetRepeat > 1000) {
    fail('"forgetRepeat" must be an integer in [1, 1000]');
  }
  const lists: Record<'forgetIndices' | 'sampleIndices', Float64Array> = {
    forgetIndices: new Float64Array(0),
    sampleIndices: new Float64Array(0),
  };
  for (const key of ['forgetIndices', 'sampleIndices'] as const) {
    const list = data[key];
    if (!Array.isArray(list)) fail(`"${key}" must be an array of integers`);
    (list as unknown[]).forEach((entry, i) => {
      if (typeof entry !== 'number') fail(`${key}: entry ${i} is not a number`);
    });
    lists[key] = Float64Array.from(list as number[]);
  }
  const indices = binding.indexSplit(trainSet, lists.forgetIndices, lists.sampleIndices, {
    seed: seed as number,
    forgetRepeat: forgetRepeat as number,
    forgetName: `${source}: forgetIndices`,
    sampleName: `${source}: sampleIndices`,
    fromFile: true,
  });
  return new Split({
    dataset: { name: info.name, trainSize: info.trainSize, numClasses: info.numClasses },
    scenario: scenario as ScenarioDescription,
    seed: seed as number,
    forgetRepeat: forgetRepeat as number,
    indices,
  });
}

/** Writes the split's JSON to `file`, atomically (temporary file + rename). */
export async function saveSplit(split: Split, file: string): Promise<void> {
  checkInstance(split, Split, 'saveSplit: split');
  checkString(file, 'saveSplit: file');
  try {
    await writeFileAtomic(file, `${JSON.stringify(split.toJSON())}\n`);
  } catch (error) {
    throw new CamuError(`saveSplit: ${(error as Error).message}`, ErrorCode.Io, { cause: error });
  }
}

/** Reads a split file written by saveSplit (or by another tool in the same format), validated as splitFromJson. */
export async function loadSplit(file: string, trainSet: Dataset): Promise<Split> {
  checkString(file, 'loadSplit: file');
  checkInstance(trainSet, Dataset, 'loadSplit: trainSet');
  let text: string;
  try {
    text = await readRegularFile(file);
  } catch (error) {
    throw new CamuError(`loadSplit: cannot read ${file}: ${(error as Error).message}`, ErrorCode.Io, { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new CamuError(`${file}: not valid JSON (${(error as Error).message})`, ErrorCode.Format, { cause: error });
  }
  return splitFromJson(json, trainSet, file);
}
