/**
 * Argument checks for the TS API. Bad arguments throw as Node's own validators do: a TypeError
 * with code ERR_INVALID_ARG_TYPE for the wrong kind of value, a RangeError with code
 * ERR_OUT_OF_RANGE for the right kind with a value outside what is allowed (the native addon
 * raises the same codes for what it checks).
 *
 * `name` is the argument as messages name it, function first ('makeSplit: options.seed'), so the
 * messages read `makeSplit: options.seed must be an integer >= 0, got -1`.
 */
import { ErrorCode } from './errors';

/** A TypeError with code ERR_INVALID_ARG_TYPE. */
export function invalidArgType(message: string): TypeError & { code: string } {
  return Object.assign(new TypeError(message), { code: ErrorCode.InvalidArgType });
}

/** A RangeError with code ERR_OUT_OF_RANGE. */
export function outOfRange(message: string): RangeError & { code: string } {
  return Object.assign(new RangeError(message), { code: ErrorCode.OutOfRange });
}

/** A non-null object that is not an array. */
export function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** How messages show a value received: strings quoted, objects by kind (their contents may be large). */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object' && value !== null) {
    const type = Object.getPrototypeOf(value)?.constructor?.name;
    return type && type !== 'Object' ? `an instance of ${type}` : 'an object';
  }
  return String(value);
}

export function checkObject(value: unknown, name: string): asserts value is object {
  if (!isObject(value)) throw invalidArgType(`${name} must be an object, got ${describeValue(value)}`);
}

/** `value instanceof type`; the message names the class ('must be a Dataset'). */
export function checkInstance<T>(value: unknown, type: abstract new (...args: never[]) => T, name: string): asserts value is T {
  if (!(value instanceof type)) {
    const article = /^[AEIOU]/.test(type.name) ? 'an' : 'a';
    throw invalidArgType(`${name} must be ${article} ${type.name}, got ${describeValue(value)}`);
  }
}

interface Bounds {
  min?: number;
  max?: number;
  /** A lower bound the value must exceed (for numbers that must be positive: 0). */
  exclusiveMin?: number;
}

function boundsText({ min, max, exclusiveMin }: Bounds): string {
  const lower = exclusiveMin !== undefined ? `(${exclusiveMin}` : min !== undefined ? `[${min}` : undefined;
  if (lower !== undefined && max !== undefined) return ` in ${lower}, ${max}]`;
  if (exclusiveMin !== undefined) return ` > ${exclusiveMin}`;
  if (min !== undefined) return ` >= ${min}`;
  if (max !== undefined) return ` <= ${max}`;
  return '';
}

function inBounds(value: number, { min, max, exclusiveMin }: Bounds): boolean {
  return !(
    (min !== undefined && value < min) ||
    (max !== undefined && value > max) ||
    (exclusiveMin !== undefined && value <= exclusiveMin)
  );
}

/** A finite number within `bounds`: a non-number is a TypeError, NaN, ±Infinity or out of bounds a RangeError. */
export function checkNumber(value: unknown, name: string, bounds: Bounds = {}): asserts value is number {
  const expected = `a finite number${boundsText(bounds)}`;
  if (typeof value !== 'number') throw invalidArgType(`${name} must be ${expected}, got ${describeValue(value)}`);
  if (!Number.isFinite(value) || !inBounds(value, bounds)) throw outOfRange(`${name} must be ${expected}, got ${value}`);
}

/** A safe integer within `bounds`: a non-number is a TypeError, a fraction or out of bounds a RangeError. */
export function checkInteger(value: unknown, name: string, bounds: Omit<Bounds, 'exclusiveMin'> = {}): asserts value is number {
  const expected = `an integer${boundsText(bounds)}`;
  if (typeof value !== 'number') throw invalidArgType(`${name} must be ${expected}, got ${describeValue(value)}`);
  if (!Number.isSafeInteger(value) || !inBounds(value, bounds)) throw outOfRange(`${name} must be ${expected}, got ${value}`);
}

export function checkBoolean(value: unknown, name: string): asserts value is boolean {
  if (typeof value !== 'boolean') throw invalidArgType(`${name} must be a boolean, got ${describeValue(value)}`);
}

/** A non-empty string (names, paths, URLs: an empty one is never meant). */
export function checkString(value: unknown, name: string): asserts value is string {
  if (typeof value !== 'string' || value.length === 0) {
    throw invalidArgType(`${name} must be a non-empty string, got ${describeValue(value)}`);
  }
}

export function checkFunction(value: unknown, name: string): asserts value is (...args: never[]) => unknown {
  if (typeof value !== 'function') throw invalidArgType(`${name} must be a function, got ${describeValue(value)}`);
}

/** One of `allowed`; anything else is a RangeError, as for the addon's enumerated options. */
export function checkOneOf<T extends string | number>(value: unknown, name: string, allowed: readonly T[]): asserts value is T {
  if (!(allowed as readonly unknown[]).includes(value)) {
    const shown = allowed.map(describeValue);
    const list = shown.length > 1 ? `${shown.slice(0, -1).join(', ')} or ${shown[shown.length - 1]}` : shown[0];
    throw outOfRange(`${name} must be ${list}, got ${describeValue(value)}`);
  }
}
