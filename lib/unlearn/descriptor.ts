/**
 * What a TypeScript method descriptor says about an unlearning method (one file per method in
 * lib/unlearn/methods/, beside its native file in native/unlearn/; docs/adding-a-method.md).
 * Everything else derives from it: `unlearn()`'s validation and defaults, the CLI's flags and
 * help, `reproduce`'s method list and report labels, and the conformance tests.
 */
import { checkBoolean, checkInteger, checkNumber, checkOneOf, describeValue, invalidArgType, outOfRange } from '../is';
import { baselineDataset } from '../config/presets';
import type { Split } from '../splits';

interface OptionBase {
  /** One line for `--help` and the API docs. */
  doc: string;
}
export interface NumberOption extends OptionBase {
  type: 'number';
  default: number;
  min?: number;
  max?: number;
  /** A bound the value must exceed (0 for a learning rate). */
  exclusiveMin?: number;
}
export interface IntegerOption extends OptionBase {
  type: 'integer';
  default: number;
  min?: number;
  max?: number;
}
export interface BooleanOption extends OptionBase {
  type: 'boolean';
  default: boolean;
}
export interface ChoiceOption extends OptionBase {
  type: 'choice';
  default: string;
  choices: readonly string[];
}
export type OptionSpec = NumberOption | IntegerOption | BooleanOption | ChoiceOption;
export type OptionSchema = Readonly<Record<string, OptionSpec>>;

/** The value type of each option of a schema. */
export type OptionValues<S extends OptionSchema> = {
  -readonly [K in keyof S]: S[K] extends BooleanOption
    ? boolean
    : S[K] extends { type: 'choice'; choices: readonly (infer C)[] }
      ? C
      : number;
};

export interface MethodDescriptor<S extends OptionSchema = OptionSchema, P extends string = string> {
  /** The name the native method registers (CAMU_REGISTER_METHOD) and users pass as `method`. */
  name: string;
  /** How reports and tables name it. */
  label: string;
  /** One line for `camu unlearn --help` and the docs. */
  summary: string;
  /** The paper the method is implemented from. */
  citation: string;
  /** Every option the native method reads, with its default and documentation. */
  options: S;
  /** Named settings (a paper's per-dataset values); applied over the defaults, under explicit options. */
  presets?: Readonly<Record<P, Partial<OptionValues<S>>>>;
  /** The preset that fits a split when none is named (null: the defaults). */
  presetFor?: (split: Split) => P | null;
  /** Named ablations: each switches off a component by setting options. */
  ablations?: Readonly<Record<string, { doc: string; set: Partial<OptionValues<S>> }>>;
}

/** camu's one-pass Adam or libtorch's: a shortcut with the same formula (native/train/adam.h). */
export const FUSED_ADAM_OPTION: BooleanOption = {
  type: 'boolean',
  default: true,
  doc: "shortcut, same formula: camu's one-pass Adam instead of libtorch's",
};

/**
 * The optimiser options a baseline reads through OptimizerOptions (native/unlearn/building_blocks.h):
 * `optimizer` ('sgd' with `momentum`, or 'adam'), `learningRate`, `momentum`, `weightDecay` and
 * `fusedAdam`, with the method's defaults and, where it has something to say, its own docs.
 */
export function optimizerOptions(
  defaults: { optimizer: 'sgd' | 'adam'; learningRate: number; weightDecay: number },
  docs: { optimizer?: string; learningRate?: string; weightDecay?: string } = {},
) {
  return {
    optimizer: {
      type: 'choice',
      default: defaults.optimizer,
      choices: ['sgd', 'adam'],
      doc: docs.optimizer ?? 'SGD with momentum, or Adam',
    } as ChoiceOption & { choices: readonly ['sgd', 'adam'] },
    learningRate: { type: 'number', default: defaults.learningRate, exclusiveMin: 0, doc: docs.learningRate ?? 'learning rate' } as NumberOption,
    momentum: { type: 'number', default: 0.9, min: 0, max: 1, doc: "SGD's momentum" } as NumberOption,
    weightDecay: { type: 'number', default: defaults.weightDecay, min: 0, doc: docs.weightDecay ?? 'L2 weight decay' } as NumberOption,
    fusedAdam: FUSED_ADAM_OPTION,
  };
}

/**
 * The forget stop's options (native/unlearn/forget_stop.h), for a method whose steps forget: the
 * removal loop measures the student on a probe of D_f every `forgetCheckEvery` steps and ends the
 * run at the first check at or below `forgetTarget`. Off (-1) by default; class presets set it.
 */
export function forgetStopOptions() {
  return {
    forgetTarget: {
      type: 'number',
      default: -1,
      min: -1,
      max: 100,
      doc: 'end the run early once accuracy (%) on a probe of D_f is at or below this; -1: never',
    } as NumberOption,
    forgetProbe: { type: 'integer', default: 256, min: 1, max: 2 ** 40, doc: "D_f samples in the forget stop's probe" } as IntegerOption,
    forgetCheckEvery: { type: 'integer', default: 1, min: 1, max: 2 ** 40, doc: "steps between the forget stop's checks" } as IntegerOption,
  };
}

/**
 * presetFor of the methods with a `class` and a `random` preset: `class` for a forget set of whole
 * classes, `random` for any other (a random sample, part of a class), where wrong labels or
 * fine-tuning hard enough to forget a class cost the model every class.
 */
export function classOrRandomPreset(split: Split): 'class' | 'random' {
  const { type, proportions } = split.scenario;
  const whole = !Array.isArray(proportions) || proportions.every((p) => p === 1);
  return type === 'class' && whole ? 'class' : 'random';
}

/**
 * presetFor of the methods with `fashion-class` or `fashion-random` presets besides `class` and
 * `random`: on a Fashion-MNIST split the `fashion-` preset of the scenario where the method has
 * one, otherwise classOrRandomPreset's.
 */
export function datasetClassOrRandomPreset<P extends string>(presets: Readonly<Record<P, unknown>>): (split: Split) => P {
  return (split) => {
    const scenario = classOrRandomPreset(split);
    const dataset = baselineDataset(split.dataset.name);
    const named = dataset === null ? scenario : `${dataset}-${scenario}`;
    return (Object.prototype.hasOwnProperty.call(presets, named) ? named : scenario) as P;
  };
}

/** Declares a descriptor with its option names and types kept literal. */
export function defineMethod<const S extends OptionSchema, const P extends string = never>(
  descriptor: MethodDescriptor<S, P>,
): MethodDescriptor<S, P> {
  return descriptor;
}

/** Checks one option value against its spec: coded TypeError / RangeError naming `name`. */
export function checkOption(spec: OptionSpec, value: unknown, name: string): void {
  switch (spec.type) {
    case 'number':
      checkNumber(value, name, { min: spec.min, max: spec.max, exclusiveMin: spec.exclusiveMin });
      return;
    case 'integer':
      checkInteger(value, name, { min: spec.min, max: spec.max });
      return;
    case 'boolean':
      checkBoolean(value, name);
      return;
    case 'choice':
      if (typeof value !== 'string') throw invalidArgType(`${name} must be a string, got ${describeValue(value)}`);
      checkOneOf(value, name, spec.choices);
  }
}

/** The options a run uses, and where they came from. */
export interface ResolvedOptions {
  values: Record<string, number | boolean | string>;
  preset: string | null;
}

/**
 * The method's options for a run: its defaults, then the preset (named, or the one that fits the
 * split unless every option the preset sets is given), then the ablations, then the explicit
 * options. Unknown names, wrong types and out-of-range values are coded errors naming `fn`.
 */
export function resolveOptions(
  descriptor: MethodDescriptor,
  split: Split,
  given: Record<string, unknown>,
  fn: string,
  choice: { preset?: unknown; ablate?: unknown } = {},
): ResolvedOptions {
  const values: Record<string, number | boolean | string> = {};
  for (const [key, spec] of Object.entries(descriptor.options)) values[key] = spec.default;

  const presets = descriptor.presets ?? {};
  let preset: string | null = null;
  if (choice.preset !== undefined) {
    const names = Object.keys(presets);
    if (names.length === 0) throw outOfRange(`${fn}: method '${descriptor.name}' has no presets`);
    checkOneOf(choice.preset, `${fn}: options.preset`, names);
    preset = choice.preset;
  } else if (descriptor.presetFor) {
    // Only when some option a preset sets is not given: then, and only then, a split without a
    // fitting preset is an error (presetFor says which).
    const presetKeys = new Set(Object.values<object>(presets).flatMap((values) => Object.keys(values)));
    if ([...presetKeys].some((key) => given[key] === undefined)) preset = descriptor.presetFor(split);
  }
  if (preset !== null) Object.assign(values, presets[preset]);

  if (choice.ablate !== undefined) {
    const ablations = descriptor.ablations ?? {};
    if (!Array.isArray(choice.ablate)) throw invalidArgType(`${fn}: options.ablate must be an array, got ${describeValue(choice.ablate)}`);
    for (const name of choice.ablate) {
      checkOneOf(name, `${fn}: options.ablate entries`, Object.keys(ablations));
      Object.assign(values, ablations[name].set);
    }
  }

  for (const [key, value] of Object.entries(given)) {
    if (value === undefined) continue;
    const spec = descriptor.options[key];
    if (spec === undefined) {
      throw outOfRange(`${fn}: method '${descriptor.name}' has no option '${key}' (it has ${Object.keys(descriptor.options).join(', ')})`);
    }
    checkOption(spec, value, `${fn}: options.${key}`);
    values[key] = value as number | boolean | string;
  }
  return { values, preset };
}

/** The CLI flag of an option: `klLr` -> `--kl-lr`. */
export function optionFlag(name: string): string {
  return `--${name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;
}
