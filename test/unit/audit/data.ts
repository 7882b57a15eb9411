/** Seeded test data for the audit statistics: the same numbers on every run. */
import { createRng } from '../../../lib/audit/random';

/** `count` uniform numbers in [low, high). */
export function uniform(count: number, seed: number, low = 0, high = 1): number[] {
  const rng = createRng(seed);
  return Array.from({ length: count }, () => low + (rng.nextUint32() / 2 ** 32) * (high - low));
}

/** `count` integers in [0, values): data with many ties. */
export function integers(count: number, seed: number, values: number): number[] {
  const rng = createRng(seed);
  return Array.from({ length: count }, () => rng.nextBelow(values));
}

/** `count` normal numbers (Box-Muller). */
export function normal(count: number, seed: number, mean = 0, std = 1): number[] {
  const u = uniform(2 * count, seed);
  return Array.from({ length: count }, (_, i) => mean + std * Math.sqrt(-2 * Math.log(1 - u[2 * i])) * Math.cos(2 * Math.PI * u[2 * i + 1]));
}

/** The error `fn` throws (fails the test when it throws none). */
export function thrown(fn: () => unknown): Error & { code?: string } {
  try {
    fn();
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error('expected an error, none was thrown');
}
