/**
 * Objects at the boundary are recognised by what made them, not by their prototype: the native
 * handles (Model, Tensor, AbortFlag) by a type tag their native constructor sets
 * (native/node/type_tags.h), Dataset and Split by a private field their constructor sets. An
 * object that merely has the prototype, passed to a function or used for a getter, is a coded
 * TypeError, never a read of native state that is not there.
 */
import { createModel, datasetFromArrays, evaluateSync, extractTarGz, isModel, makeSplit, methodDescriptor, presetFor, saveWeightsSync, tensor, unlearnSync } from '../../lib';
import { Dataset } from '../../lib/datasets';
import { binding } from '../../lib/native';
import { Split } from '../../lib/splits';
import { dataArguments } from '../../lib/train';

const TYPE_ERROR = expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });

describe('forged objects', () => {
  const train = datasetFromArrays({ images: new Uint8Array(8 * 4), shape: [8, 1, 2, 2], labels: new Uint8Array([0, 1, 0, 1, 0, 1, 0, 1]), numClasses: 2, name: 'tiny' });
  const split = makeSplit(train, { type: 'class', classes: [0] }, { seed: 1 });
  const model = createModel({ architecture: 'mlp', numClasses: 2, inFeatures: 4, hiddenSize: 3, seed: 1 });

  it('tells native handles by their tag', () => {
    expect(binding.handleType(model)).toBe('Model');
    expect(binding.handleType(tensor(new Float32Array(2), [2]))).toBe('Tensor');
    expect(binding.handleType(new binding.AbortFlag())).toBe('AbortFlag');
    for (const value of [Object.create(binding.Model.prototype), Object.setPrototypeOf({}, binding.Tensor.prototype), {}, 1, null, undefined]) {
      expect(binding.handleType(value)).toBeNull();
    }
    expect(isModel(model)).toBe(true);
    expect(isModel(Object.create(binding.Model.prototype))).toBe(false);
  });

  it('refuses a forged Model, Tensor or AbortFlag as an argument with a coded TypeError', () => {
    const model2 = Object.create(binding.Model.prototype);
    expect(() => evaluateSync(model2, { dataset: train })).toThrow(TYPE_ERROR);
    expect(() => saveWeightsSync(model2, '/nonexistent/never-written.safetensors')).toThrow(TYPE_ERROR);
    expect(() => unlearnSync(model2, split, { method: 'finetune', train })).toThrow(TYPE_ERROR);
    const indices = Object.setPrototypeOf({ shape: [2], dtype: 'int64', numel: 2 }, binding.Tensor.prototype);
    expect(() => evaluateSync(model, { dataset: train, indices })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringContaining('an object that is not one') }),
    );
    expect(() => binding.evaluate(model, ...dataArguments({ dataset: train }, 'evaluate'), {}, undefined, Object.create(binding.AbortFlag.prototype))).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringMatching(/^evaluate: abortFlag must be an AbortFlag or undefined, got an object that is not one/) }),
    );
  });

  it('answers a getter on a forged handle with a coded TypeError', () => {
    const forged = Object.create(binding.Model.prototype);
    expect(() => forged.numClasses).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: 'this must be a Model, got an object that is not one (only camu\'s functions make them)' }));
    expect(() => Object.create(binding.Tensor.prototype).numel).toThrow(TYPE_ERROR);
    expect(() => Object.create(binding.AbortFlag.prototype).aborted).toThrow(TYPE_ERROR);
    // A real handle's getters are unchanged.
    expect(model.numClasses).toBe(2);
  });

  it('refuses a Dataset or Split that only has the prototype, even with real fields copied in', () => {
    const fakeDataset = Object.assign(Object.create(Dataset.prototype), train);
    const fakeSplit = Object.assign(Object.create(Split.prototype), split);
    expect(train instanceof Dataset).toBe(true);
    expect(split instanceof Split).toBe(true);
    expect(fakeDataset instanceof Dataset).toBe(false);
    expect(fakeSplit instanceof Split).toBe(false);
    expect(() => evaluateSync(model, { dataset: fakeDataset })).toThrow(TYPE_ERROR);
    expect(() => unlearnSync(model, fakeSplit, { method: 'finetune', train })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringMatching(/^unlearnSync: split must be a Split/) }),
    );
    expect(() => unlearnSync(model, split, { method: 'finetune', train: fakeDataset })).toThrow(TYPE_ERROR);
    // Their getters and methods, and their constructors given nothing usable (found by scripts/fuzz.js).
    expect(() => Object.create(Dataset.prototype).size).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringMatching(/^this must be a Dataset made by camu/) }));
    expect(() => Object.create(Dataset.prototype).classCounts()).toThrow(TYPE_ERROR);
    expect(() => Object.create(Split.prototype).forgetSize).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringMatching(/^this must be a Split made by camu/) }));
    expect(() => Object.create(Split.prototype).toJSON()).toThrow(TYPE_ERROR);
    expect(() => new Dataset(null as never)).toThrow(TYPE_ERROR);
    expect(() => new Split(null as never)).toThrow(TYPE_ERROR);
    expect(() => new Split({ ...split, indices: { forgetIndices: 1, retainIndices: 2, sampleIndices: 3 } } as never)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: 'new Split: fields.indices.forgetIndices must be a Tensor, got 1' }),
    );
    expect(split.forgetSize).toBe(4);
    expect(train.size).toBe(8);
  });

  it('names a Symbol where a string belongs with a coded TypeError, not a failed message', async () => {
    expect(() => presetFor(Symbol('mnist') as never, 'class')).toThrow(TYPE_ERROR);
    expect(() => methodDescriptor('camu', Symbol('where') as never)).toThrow(TYPE_ERROR);
    await expect(extractTarGz(Symbol('archive') as never, '/nonexistent')).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
  });

  it('checks a split handed over natively: a partition of the train set, D_s from D_r', () => {
    const raw = (overrides: Record<string, unknown>) => ({
      forgetIndices: split.forgetIndices,
      retainIndices: split.retainIndices,
      sampleIndices: split.sampleIndices,
      forgetRepeat: 1,
      dataset: { name: 'tiny', trainSize: 8 },
      ...overrides,
    });
    const indices = (values: number[]) => tensor(BigInt64Array.from(values.map(BigInt)), [values.length]);
    const run = (overrides: Record<string, unknown>) => () => binding.unlearnSync('finetune', model, train, raw(overrides), { epochs: 1 });
    expect(run({})).not.toThrow();
    expect(run({ forgetIndices: indices([0, 2, 4, 4]), retainIndices: indices([1, 3, 5, 7]) })).toThrow(
      expect.objectContaining({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE', message: expect.stringContaining('lists forget index 4 twice') }),
    );
    expect(run({ forgetIndices: indices([0, 2, 4, 1]), retainIndices: indices([1, 3, 5, 7]) })).toThrow(
      expect.objectContaining({ code: 'ERR_OUT_OF_RANGE', message: expect.stringContaining('index 1 is in both the forget and the retain set') }),
    );
    expect(run({ sampleIndices: indices([1, 3, 5, 6]) })).toThrow(
      expect.objectContaining({ code: 'ERR_OUT_OF_RANGE', message: expect.stringContaining('sample index 6, which is not in the retain set') }),
    );
    expect(run({ forgetIndices: indices([0, 2, 4, 8]) })).toThrow(
      expect.objectContaining({ code: 'ERR_OUT_OF_RANGE', message: expect.stringContaining('forget index 8 outside [0, 8)') }),
    );
  });
});
