/**
 * The text formats of camu's option values ('0-4', 'class:0', 'mnist,fashion'), shared by flags
 * and --config files. `name` is how an error names the value: the flag, or the file and its key.
 */
import type { Scenario } from '../splits';
import { REPRODUCE_METHODS } from '../reproduce/schema';
import { alternatives, UsageError } from './usage';

export function parseNumber(text: string, name: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) throw new UsageError(`${name} must be a number, got '${text}'`);
  return value;
}

export function parseInteger(text: string, name: string): number {
  const value = text.trim() === '' ? NaN : Number(text);
  if (!Number.isInteger(value)) throw new UsageError(`${name} must be an integer, got '${text}'`);
  return value;
}

/** 'a,b' -> ['a', 'b'], each one of `allowed`. */
export function parseList<T extends string>(text: string, allowed: readonly T[], name: string): T[] {
  const items = text.split(',').map((item) => item.trim()).filter(Boolean);
  if (items.length === 0) throw new UsageError(`${name} must list some of ${allowed.join(', ')}, got '${text}'`);
  for (const item of items) {
    if (!(allowed as readonly string[]).includes(item)) throw new UsageError(`${name} must list some of ${allowed.join(', ')}, got '${item}'`);
  }
  return items as T[];
}

/** 'a,b' -> ['a', 'b'] of any names (a method's ablations, checked by unlearn()). */
export function parseNames(text: string, name: string): string[] {
  const items = text.split(',').map((item) => item.trim()).filter(Boolean);
  if (items.length === 0) throw new UsageError(`${name} must name at least one, got '${text}'`);
  return items;
}

/** `--methods`: a list of REPRODUCE_METHODS, or 'all' for every one of them. */
export function parseMethods(text: string, name = '--methods'): string[] {
  return text.trim() === 'all' ? [...REPRODUCE_METHODS] : parseList(text, REPRODUCE_METHODS, name);
}

/** '0-4', '0,2,3' or '1'. */
export function parseSeeds(text: string, name = '--seeds'): number[] {
  const seeds: number[] = [];
  for (const part of text.split(',')) {
    const range = /^\s*(\d+)\s*-\s*(\d+)\s*$/.exec(part);
    if (range) {
      const [from, to] = [Number(range[1]), Number(range[2])];
      if (to < from) throw new UsageError(`${name}: empty range '${part}'`);
      for (let seed = from; seed <= to; ++seed) seeds.push(seed);
    } else {
      const seed = parseInteger(part.trim(), name);
      if (seed < 0) throw new UsageError(`${name} must be non-negative, got ${seed}`);
      seeds.push(seed);
    }
  }
  return [...new Set(seeds)];
}

/** 'class:0', 'class:0,3', 'random:0.1' (a fraction) or 'random:500' (a count). */
export function parseScenario(text: string, name = '--scenario'): Scenario {
  const [type, rest = ''] = text.split(':', 2);
  if (type === 'class') {
    const classes = rest.split(',').map((item) => parseInteger(item.trim(), `${name} class`));
    return { type: 'class', classes };
  }
  if (type === 'random') {
    const value = parseNumber(rest, `${name} random`);
    return value < 1 ? { type: 'random', fraction: value } : { type: 'random', count: parseInteger(rest, `${name} random`) };
  }
  throw new UsageError(`${name} must be class:C[,C...] or random:FRACTION|COUNT, got '${text}'`);
}

/** CIFAR's image side: 32 (resnet18-cifar) or 224 (resnet18). */
export function parseResolution(text: string, name: string): 32 | 224 {
  const size = parseInteger(text, name);
  if (size !== 32 && size !== 224) throw new UsageError(`${name} must be ${alternatives(['32', '224'])}, got ${size}`);
  return size;
}
