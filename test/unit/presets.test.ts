/**
 * Which preset a split gets: CaMU's by dataset family and scenario (lib/config/presets.ts), and
 * the baselines' `class` / `random`, or their `fashion-` ones on Fashion-MNIST where they have
 * them (datasetClassOrRandomPreset in lib/unlearn/descriptor.ts; why each: docs/methods.md).
 */
import { baselineDataset, presetFor } from '../../lib/config/presets';
import { resolveOptions } from '../../lib/unlearn/descriptor';
import { methodDescriptor } from '../../lib/unlearn/methods';
import type { Split } from '../../lib/splits';

const split = (dataset: string, scenario: Record<string, unknown>) => ({ dataset: { name: dataset }, scenario }) as unknown as Split;
const CLASS = { type: 'class', classes: [0] };
const RANDOM = { type: 'random', fraction: 0.1 };

describe('presets', () => {
  it("CaMU's: the paper's per family and scenario, camu's own for Fashion-MNIST random removal", () => {
    expect(presetFor('mnist', 'class')).toBe('mnist-class');
    expect(presetFor('mnist', 'random')).toBe('mnist-random');
    expect(presetFor('fashion-mnist', 'class')).toBe('mnist-class');
    expect(presetFor('fashion-mnist', 'random')).toBe('fashion-random');
    expect(presetFor('cifar10', 'random')).toBe('cifar-random');
    expect(methodDescriptor('camu').presetFor?.(split('fashion-mnist', RANDOM))).toBe('fashion-random');
  });

  it('baselineDataset names Fashion-MNIST only', () => {
    expect(baselineDataset('fashion-mnist')).toBe('fashion');
    expect(baselineDataset('mnist')).toBeNull();
    expect(baselineDataset('cifar10')).toBeNull();
  });

  it("a baseline takes its Fashion-MNIST preset where it has one, else the scenario's", () => {
    const cases: [string, string, Record<string, unknown>, string][] = [
      ['neggrad', 'mnist', RANDOM, 'random'],
      ['neggrad', 'fashion-mnist', RANDOM, 'fashion-random'],
      ['neggrad', 'fashion-mnist', CLASS, 'class'],
      ['boundary-shrink', 'fashion-mnist', RANDOM, 'fashion-random'],
      ['bad-teacher', 'fashion-mnist', RANDOM, 'fashion-random'],
      ['bad-teacher', 'mnist', CLASS, 'class'],
      ['ssd', 'fashion-mnist', CLASS, 'fashion-class'],
      ['ssd', 'mnist', CLASS, 'class'],
      ['ssd', 'fashion-mnist', RANDOM, 'random'],
      ['random-label', 'fashion-mnist', CLASS, 'class'],
      ['scrub', 'fashion-mnist', CLASS, 'fashion-class'],
      ['scrub', 'mnist', CLASS, 'class'],
      ['scrub', 'fashion-mnist', RANDOM, 'random'],
      ['finetune', 'fashion-mnist', RANDOM, 'random'],
    ];
    for (const [method, dataset, scenario, preset] of cases) {
      const resolved = resolveOptions(methodDescriptor(method), split(dataset, scenario), {}, 'test');
      expect({ method, dataset, scenario, preset: resolved.preset }).toEqual({ method, dataset, scenario, preset });
    }
    const neggrad = resolveOptions(methodDescriptor('neggrad'), split('fashion-mnist', RANDOM), {}, 'test').values;
    expect(neggrad.learningRate).toBe(1e-5);
    expect(resolveOptions(methodDescriptor('neggrad'), split('mnist', RANDOM), {}, 'test').values.learningRate).toBe(2.5e-5);
    // SCRUB's class preset is its defaults; the Fashion-MNIST one changes four of them.
    const scrub = (dataset: string) => resolveOptions(methodDescriptor('scrub'), split(dataset, CLASS), {}, 'test').values;
    expect(scrub('mnist')).toMatchObject({ learningRate: 5e-5, maxSteps: 2, epochs: 4, temperature: 4 });
    expect(scrub('fashion-mnist')).toMatchObject({ learningRate: 1e-4, maxSteps: 4, epochs: 6, temperature: 16 });
  });
});
