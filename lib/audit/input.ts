/**
 * Input checks shared by the audit statistics: per-sample numbers arrive as typed arrays or
 * plain arrays and are copied into Float64Arrays once checked, so the maths never meets a
 * string, a hole or a NaN.
 */
import { describeValue, invalidArgType, outOfRange } from '../is';

/** One number per sample: a Float64Array, a Float32Array or an array of numbers. */
export type Values = Float64Array | Float32Array | readonly number[];
/** One flag per sample: a Uint8Array (non-zero is true) or an array of booleans. */
export type Flags = Uint8Array | readonly boolean[];

function isValues(value: unknown): value is Values {
  return value instanceof Float64Array || value instanceof Float32Array || Array.isArray(value);
}

/**
 * `value` copied into a Float64Array after checking each element: a number, not NaN, and for
 * probabilities within [0, 1]. Infinite scores are allowed (they still order).
 */
function checkedValues(value: unknown, name: string, probabilities: boolean): Float64Array {
  const expected = probabilities ? 'probabilities in [0, 1]' : 'numbers';
  if (!isValues(value)) {
    throw invalidArgType(`${name} must be a Float64Array, a Float32Array or an array of ${expected}, got ${describeValue(value)}`);
  }
  const out = new Float64Array(value.length);
  for (let i = 0; i < value.length; i += 1) {
    const element: unknown = value[i];
    if (typeof element !== 'number') throw invalidArgType(`${name}[${i}] must be a number, got ${describeValue(element)}`);
    if (Number.isNaN(element) || (probabilities && !(element >= 0 && element <= 1))) {
      throw outOfRange(`${name}[${i}] must be ${probabilities ? 'a probability in [0, 1]' : 'a number, not NaN'}, got ${element}`);
    }
    out[i] = element;
  }
  return out;
}

/** Scores (higher = more likely a member): any numbers but NaN. */
export function checkedScores(value: unknown, name: string): Float64Array {
  return checkedValues(value, name, false);
}

export function checkedProbabilities(value: unknown, name: string): Float64Array {
  return checkedValues(value, name, true);
}

export function checkedFlags(value: unknown, name: string): Uint8Array {
  if (value instanceof Uint8Array) return value.slice();
  if (!Array.isArray(value)) throw invalidArgType(`${name} must be a Uint8Array or an array of booleans, got ${describeValue(value)}`);
  return Uint8Array.from(value, (flag: unknown, i) => {
    if (typeof flag !== 'boolean') throw invalidArgType(`${name}[${i}] must be a boolean, got ${describeValue(flag)}`);
    return flag ? 1 : 0;
  });
}

/** An array (of per-model or per-example arrays); the elements are checked by the caller. */
export function checkList(value: unknown, name: string, what: string): asserts value is readonly unknown[] {
  if (!Array.isArray(value)) throw invalidArgType(`${name} must be an array of ${what}, got ${describeValue(value)}`);
}

export function checkLength(actual: number, expected: number, name: string, what: string): void {
  if (actual !== expected) throw outOfRange(`${name} must have ${expected} elements (${what}), got ${actual}`);
}
