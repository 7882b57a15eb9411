/**
 * The conformance suite every registered unlearning method passes, through the public API: made
 * from the method descriptors (lib/unlearn/methods/), so a new method is checked without a test of
 * its own (docs/adding-a-method.md). native/tests/unlearn_test.cc runs the same checks on the core.
 */
import { AbortError, createModel, datasetFromArrays, makeSplit, METHOD_NAMES, methodDescriptor, unlearn, unlearnSync } from '../../lib';
import type { Dataset, Model, Progress, Split, UnlearnOptions } from '../../lib';
import { binding } from '../../lib/native';
import { pseudoRandomBytes } from '../helpers/data-fixtures';

const CLASSES = 4;
const SAMPLES = 96;

function weights(model: Model): Record<string, number[]> {
  return Object.fromEntries(Object.entries(model.stateTensors()).map(([key, t]) => [key, Array.from(t.toTypedArray() as Float32Array)]));
}

describe('method registry', () => {
  it('names the same methods in the native core and in the descriptors', () => {
    expect(binding.unlearnMethods()).toEqual([...METHOD_NAMES]);
    expect(METHOD_NAMES).toContain('camu');
    expect(METHOD_NAMES).toContain('finetune');
  });

  it('rejects an unknown method with a coded RangeError naming the registered ones', () => {
    const train = datasetFromArrays({ images: new Uint8Array(8 * 4), shape: [8, 1, 2, 2], labels: new Uint8Array([0, 1, 0, 1, 0, 1, 0, 1]), numClasses: 2, name: 'tiny' });
    const split = makeSplit(train, { type: 'class', classes: [0] }, { seed: 1 });
    const model = createModel({ architecture: 'mlp', numClasses: 2, inFeatures: 4, hiddenSize: 3 });
    expect(() => unlearn(model, split, { method: 'nope', train })).toThrow(
      expect.objectContaining({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE', message: expect.stringMatching(/'camu'.*'finetune'/) }),
    );
    expect(() => unlearn(1 as unknown as Model, split, { train })).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => unlearn(model, {} as Split, { train })).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => unlearn(model, split, null as unknown as UnlearnOptions)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  });
});

describe.each(METHOD_NAMES.map((name) => [name]))('method %s', (name) => {
  const descriptor = methodDescriptor(name);
  let train: Dataset;
  let split: Split;
  let original: Model;
  // The smallest useful run: one epoch in small batches (for methods with those options), a paper
  // preset where the method has them, every planned step taken (no forget stop: the untrained
  // model here is at 0% on D_f from the start).
  const quick = (options: Partial<UnlearnOptions> = {}): UnlearnOptions => ({
    method: name,
    train,
    preset: descriptor.presets ? Object.keys(descriptor.presets)[0] : undefined,
    ...('epochs' in descriptor.options ? { epochs: 1 } : {}),
    ...('batchSize' in descriptor.options ? { batchSize: 8 } : {}),
    ...('forgetTarget' in descriptor.options ? { forgetTarget: -1 } : {}),
    seed: 3,
    ...options,
  });

  beforeAll(() => {
    const labels = Uint8Array.from({ length: SAMPLES }, (_, i) => i % CLASSES);
    train = datasetFromArrays({ images: pseudoRandomBytes(SAMPLES * 16, 5), shape: [SAMPLES, 1, 4, 4], labels, numClasses: CLASSES, name: 'tiny' });
    split = makeSplit(train, { type: 'class', classes: [0] }, { seed: 2 });
    original = createModel({ architecture: 'mlp', numClasses: CLASSES, inFeatures: 16, hiddenSize: 8, seed: 1 });
  });

  it('has a label, a summary, a citation and a documented default for every option', () => {
    expect(descriptor.name).toBe(name);
    for (const text of [descriptor.label, descriptor.summary, descriptor.citation]) expect(text.length).toBeGreaterThan(2);
    for (const spec of Object.values(descriptor.options)) {
      expect(spec.doc.length).toBeGreaterThan(5);
      expect(spec.default).toBeDefined();
    }
  });

  it('has the defaults of its native options struct: the core run without them gives the same weights', () => {
    const viaApi = unlearnSync(original, split, quick());
    // The core gets only what differs from the descriptor's defaults (the run's size, a preset's
    // values); every other option takes the C++ default, which must be the descriptor's.
    const differing: Record<string, number | boolean | string> = {};
    for (const [key, value] of Object.entries(viaApi.stats.settings)) {
      const spec = (descriptor.options as Record<string, { default: unknown }>)[key];
      if (spec === undefined || spec.default !== value) differing[key] = value;
    }
    const viaCore = binding.unlearnSync(name, original, train, split, differing);
    expect(weights(viaCore.model as unknown as Model)).toEqual(weights(viaApi.model));
  });

  it('returns a new model, leaves the input untouched and reports its settings', async () => {
    const before = weights(original);
    const { model, stats } = await unlearn(original, split, quick());
    expect(weights(original)).toEqual(before);
    expect(weights(model)).not.toEqual(before);
    expect(stats.method).toBe(name);
    expect(stats.epochs).toHaveLength(1);
    expect(stats.epochs[0].steps).toBeGreaterThan(0);
    expect(stats.seconds).toBeGreaterThanOrEqual(stats.removalSeconds);
    // Every descriptor option reached the native method (an unread one is an error there).
    expect(Object.keys(stats.settings).sort()).toEqual([...Object.keys(descriptor.options), 'seed'].sort());
  });

  it('gives the same weights for the same seed and others for another seed, async or sync', async () => {
    const a = await unlearn(original, split, quick({ seed: 4 }));
    const b = unlearnSync(original, split, quick({ seed: 4 }));
    const c = await unlearn(original, split, quick({ seed: 5 }));
    expect(weights(a.model)).toEqual(weights(b.model));
    expect(weights(a.model)).not.toEqual(weights(c.model));
  });

  it('reports every removal step with the epoch and its named scalars', async () => {
    const events: Progress[] = [];
    const { stats } = await unlearn(original, split, quick({ onProgress: (p: Progress) => events.push(p) }));
    const removal = events.filter((e) => e.phase === 'removal');
    expect(removal).toHaveLength(stats.epochs[0].steps);
    expect(removal[removal.length - 1].step).toBe(removal[removal.length - 1].total);
    const scalars = Object.keys(stats.epochs[0]).filter((key) => key !== 'seconds' && key !== 'steps');
    expect(scalars.length).toBeGreaterThan(0);
    for (const key of ['epoch', ...scalars]) expect(typeof removal[0][key]).toBe('number');
  });

  it('stops when aborted, rejecting with an AbortError and changing nothing', async () => {
    // Aborted as soon as it starts: progress reaches JS asynchronously, so an abort from a progress
    // callback lands a number of steps late on a loaded machine. The exact between-steps stop is
    // checked in the core, where the abort is raised on the worker's own thread
    // (native/tests/unlearn_test.cc, AbortStopsAtTheNextStep...).
    const before = weights(original);
    const controller = new AbortController();
    let steps = 0;
    let total = 0;
    const job = unlearn(original, split, quick({
      epochs: 50,
      signal: controller.signal,
      onProgress: (p: Progress) => {
        if (p.phase !== 'removal') return;
        total = p.total;
        ++steps;
      },
    }));
    controller.abort();
    await expect(job).rejects.toBeInstanceOf(AbortError);
    expect(total === 0 || steps < total).toBe(true);
    expect(weights(original)).toEqual(before);
  });

  it('rejects bad options with coded errors before any work starts', () => {
    const expectCode = (options: Partial<UnlearnOptions>, name: string, code: string) =>
      expect(() => unlearn(original, split, quick(options))).toThrow(expect.objectContaining({ name, code }));
    expectCode({ noSuchOption: 1 }, 'RangeError', 'ERR_OUT_OF_RANGE');
    expectCode({ seed: -1 }, 'RangeError', 'ERR_OUT_OF_RANGE');
    expectCode({ device: 'tpu' as 'cpu' }, 'RangeError', 'ERR_OUT_OF_RANGE');
    expectCode({ ablate: ['noSuchAblation'] }, 'RangeError', 'ERR_OUT_OF_RANGE');
    expectCode({ train: {} as Dataset }, 'TypeError', 'ERR_INVALID_ARG_TYPE');
    for (const [option, spec] of Object.entries(descriptor.options)) {
      expectCode({ [option]: spec.type === 'boolean' ? 1 : spec.type === 'choice' ? true : 'x' }, 'TypeError', 'ERR_INVALID_ARG_TYPE');
      if (spec.type === 'choice') expectCode({ [option]: 'no-such-choice' }, 'RangeError', 'ERR_OUT_OF_RANGE');
      if ((spec.type === 'number' || spec.type === 'integer') && spec.min !== undefined) {
        expectCode({ [option]: spec.min - 1 }, 'RangeError', 'ERR_OUT_OF_RANGE');
      }
      if (spec.type === 'number' && spec.exclusiveMin !== undefined) expectCode({ [option]: spec.exclusiveMin }, 'RangeError', 'ERR_OUT_OF_RANGE');
      if (spec.type === 'integer') expectCode({ [option]: 1.5 }, 'RangeError', 'ERR_OUT_OF_RANGE');
    }
  });

  it('refuses a disposed model with a coded error', () => {
    const copy = original.clone();
    copy.dispose();
    expect(copy.disposed).toBe(true);
    expect(() => unlearn(copy, split, quick())).toThrow(expect.objectContaining({ code: 'ERR_CAMU_STATE' }));
  });
});
