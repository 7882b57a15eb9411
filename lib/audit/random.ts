/**
 * A small seeded PRNG for the audit's resampling, so that the same seed gives the same bootstrap
 * intervals on every platform and Node version (Math.random cannot be seeded).
 *
 * xoshiro128** (Blackman & Vigna, "Scrambled Linear Pseudorandom Number Generators", ACM TOMS
 * 2021): 128 bits of state, 32-bit outputs, all in 32-bit integer arithmetic. Its state is
 * filled from the seed by splitmix64 (Steele, Lea & Flood, OOPSLA 2014), as the xoshiro authors
 * advise, so that nearby seeds give unrelated streams.
 */
import { checkInteger } from '../is';

const MASK64 = (1n << 64n) - 1n;

/** Two 64-bit splitmix64 outputs from `seed`, as four 32-bit words. */
function splitmix64Words(seed: number): Uint32Array {
  let state = BigInt(seed);
  const words = new Uint32Array(4);
  for (let i = 0; i < 4; i += 2) {
    state = (state + 0x9e3779b97f4a7c15n) & MASK64;
    let z = state;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
    z ^= z >> 31n;
    words[i] = Number(z & 0xffffffffn);
    words[i + 1] = Number(z >> 32n);
  }
  return words;
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

export interface Rng {
  /** A uniform integer in [0, 2^32). */
  nextUint32(): number;
  /** A uniform integer in [0, n), without modulo bias (rejection sampling); n in [1, 2^32]. */
  nextBelow(n: number): number;
}

/** A xoshiro128** generator seeded by an integer in [0, 2^53). */
export function createRng(seed: number): Rng {
  checkInteger(seed, 'createRng: seed', { min: 0 });
  // Never all zero (a state xoshiro cannot leave): splitmix64's output is a bijection of its
  // state, which differs between the two calls, so at most one of the two outputs is zero.
  const s = splitmix64Words(seed);
  const nextUint32 = (): number => {
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  };
  const nextBelow = (n: number): number => {
    // The largest multiple of n that fits in 32 bits; draws at or above it would favour small values.
    const limit = 2 ** 32 - (2 ** 32 % n);
    let draw = nextUint32();
    while (draw >= limit) draw = nextUint32();
    return draw % n;
  };
  return { nextUint32, nextBelow };
}

/** 0..length-1 in a uniformly random order (Fisher-Yates), drawn from `rng`. */
export function shuffledIndices(length: number, rng: Rng): number[] {
  const order = Array.from({ length }, (_, i) => i);
  for (let i = length - 1; i > 0; --i) {
    const j = rng.nextBelow(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}
