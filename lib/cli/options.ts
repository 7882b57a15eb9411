/**
 * Option values from their two sources, checked against the same declarations (spec.ts): flag
 * text, and --config files (JSON, or YAML by extension) whose keys are the options' names.
 * Flags override the file, the file overrides the defaults.
 */
import * as YAML from 'yaml';
import { readRegularFileSync } from '../fs-read';
import { MethodDescriptor, optionFlag } from '../unlearn/descriptor';
import { parseInteger, parseNumber } from './formats';
import { CliOption, methodsWithOption } from './spec';
import { alternatives, nearest, UsageError } from './usage';

export type OptionValues = Record<string, unknown>;

function checkChoice(value: unknown, option: CliOption, name: string, given: string): string {
  const choices = option.choices ?? [];
  if (typeof value !== 'string' || !choices.includes(value)) throw new UsageError(`${name} must be ${alternatives(choices)}, got ${given}`);
  return value;
}

/** A flag's text as the option's value. */
export function fromFlag(option: CliOption, text: string): unknown {
  const flag = optionFlag(option.name);
  switch (option.type) {
    case 'string':
      return text;
    case 'number':
      return parseNumber(text, flag);
    case 'integer':
      return parseInteger(text, flag);
    case 'boolean':
      if (text !== 'true' && text !== 'false') throw new UsageError(`${flag} must be true or false, got '${text}'`);
      return text === 'true';
    case 'switch':
      return true;
    case 'choice':
      return checkChoice(text, option, flag, `'${text}'`);
    case 'format':
      return (option.parse as NonNullable<CliOption['parse']>)(text, flag);
  }
}

/** A value of a config file as it was written, with its kind: `"2" (a string)`. */
function shown(value: unknown): string {
  if (value === null) return 'null';
  const kind = Array.isArray(value) ? 'a list' : typeof value === 'object' ? 'a mapping' : `a ${typeof value}`;
  return `${JSON.stringify(value)} (${kind})`;
}

/** A config file's value for `option`, checked as its flag's text would be; `name` is file and key. */
export function fromConfig(option: CliOption, value: unknown, name: string): unknown {
  const wrong = (expected: string) => new UsageError(`${name} must be ${expected}, got ${shown(value)}`);
  switch (option.type) {
    case 'string':
      if (typeof value !== 'string') throw wrong('a string');
      return value;
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) throw wrong('a number');
      return value;
    case 'integer':
      if (!Number.isInteger(value)) throw wrong('an integer');
      return value;
    case 'boolean':
    case 'switch':
      if (typeof value !== 'boolean') throw wrong('true or false');
      return value;
    case 'choice':
      return checkChoice(value, option, name, shown(value));
    case 'format': {
      // The flag's text, or a list of its comma-separated items.
      const items = Array.isArray(value) ? value : [value];
      if (items.length === 0 || !items.every((item) => typeof item === 'string' || typeof item === 'number')) {
        throw wrong(`text like '${option.placeholder}'`);
      }
      return (option.parse as NonNullable<CliOption['parse']>)(items.join(','), name);
    }
  }
}

export interface ConfigFile {
  file: string;
  entries: Record<string, unknown>;
}

/** A --config file: a mapping of option names to values, in JSON or, for .yaml / .yml, YAML. */
export function readConfig(file: string): ConfigFile {
  let text: string;
  try {
    text = readRegularFileSync(file);
  } catch (error) {
    throw new UsageError(`--config: cannot read ${file}: ${(error as Error).message}`);
  }
  const yaml = /\.ya?ml$/i.test(file);
  let data: unknown;
  try {
    data = yaml ? YAML.parse(text) : JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--config: ${file} is not valid ${yaml ? 'YAML' : 'JSON'}: ${(error as Error).message}`);
  }
  // An empty YAML file is null: no options.
  if (yaml && data === null) data = {};
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new UsageError(`--config: ${file} must hold a mapping of option names to values, got ${shown(data)}`);
  }
  return { file, entries: data as Record<string, unknown> };
}

/** 'save-split' -> 'saveSplit'; camelCase names stay as they are. */
export function camelCase(key: string): string {
  return key.replace(/-([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());
}

/**
 * The config file's values by option name, each checked against its declaration. An unknown key
 * names the file, the nearest key and the expected ones; for unlearn, a key of another method
 * says whose it is.
 */
export function configValues(config: ConfigFile, options: readonly CliOption[], method?: MethodDescriptor): OptionValues {
  // --config in a config file would only add a way to loop.
  const known = new Map(options.filter((option) => option.name !== 'config').map((option) => [option.name, option]));
  const values: OptionValues = {};
  const keyOf: Record<string, string> = {};
  for (const [key, value] of Object.entries(config.entries)) {
    const name = camelCase(key);
    const option = known.get(name);
    if (option === undefined) {
      const owners = method ? methodsWithOption(name, method) : [];
      if (owners.length > 0) {
        throw new UsageError(`${config.file}: '${key}' is an option of --method ${alternatives(owners)}, not of ${method?.name}`);
      }
      const near = nearest(name, [...known.keys()]);
      throw new UsageError(
        `${config.file}: unknown key '${key}'${near ? `; did you mean '${near}'?` : ''} ` + `(expected keys: ${[...known.keys()].join(', ')})`,
      );
    }
    if (keyOf[name] !== undefined) throw new UsageError(`${config.file}: '${keyOf[name]}' and '${key}' are the same option`);
    keyOf[name] = key;
    values[name] = fromConfig(option, value, `${config.file}: ${key}`);
  }
  return values;
}

/** Each option's value: the flag's, else the config file's, else the default; required ones checked. */
export function resolveValues(options: readonly CliOption[], flags: OptionValues, config: OptionValues): OptionValues {
  const values: OptionValues = {};
  for (const option of options) {
    const value = flags[option.name] ?? config[option.name] ?? (option.defaultFromLibrary ? undefined : option.default);
    if (value === undefined && option.required) throw new UsageError(`${optionFlag(option.name)} is required`);
    if (value !== undefined) values[option.name] = value;
  }
  return values;
}

/** The last value of `--flag VALUE` or `--flag=VALUE` in `args`, read before the full parse. */
export function scanFlag(args: readonly string[], flag: string): string | undefined {
  let value: string | undefined;
  for (let i = 0; i < args.length; ++i) {
    if (args[i] === flag) value = args[i + 1];
    else if (args[i].startsWith(`${flag}=`)) value = args[i].slice(flag.length + 1);
  }
  return value;
}
