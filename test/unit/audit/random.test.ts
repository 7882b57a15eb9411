/** The audit's seeded PRNG (lib/audit/random.ts). */
import { createRng } from '../../../lib/audit/random';
import { thrown } from './data';

test('the same seed gives the same stream; other seeds other streams', () => {
  const draw = (seed: number) => {
    const rng = createRng(seed);
    return Array.from({ length: 8 }, () => rng.nextUint32());
  };
  expect(draw(42)).toEqual(draw(42));
  expect(draw(42)).not.toEqual(draw(43));
  expect(draw(0)).not.toEqual(draw(2 ** 40));
  for (const value of draw(1)) expect(Number.isInteger(value) && value >= 0 && value < 2 ** 32).toBe(true);
});

test('nextBelow is uniform over [0, n)', () => {
  const rng = createRng(5);
  const counts = new Array(7).fill(0);
  for (let i = 0; i < 70000; i += 1) counts[rng.nextBelow(7)] += 1;
  // Each count is Binomial(70000, 1/7): mean 10000, std about 93.
  for (const count of counts) expect(Math.abs(count - 10000)).toBeLessThan(500);
  expect(createRng(1).nextBelow(1)).toBe(0);
});

test('a bad seed throws with a code', () => {
  expect(thrown(() => createRng(-1)).code).toBe('ERR_OUT_OF_RANGE');
  expect(thrown(() => createRng(1.5)).code).toBe('ERR_OUT_OF_RANGE');
  expect(thrown(() => createRng('1' as never)).code).toBe('ERR_INVALID_ARG_TYPE');
});
