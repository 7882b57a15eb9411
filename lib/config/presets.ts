/**
 * The paper's CaMU settings (docs/algorithm.md §4), batch 32 everywhere. A preset names the
 * dataset family and the scenario; `presetFor` picks one from a dataset name and a scenario type.
 */
import { checkString, outOfRange } from '../is';

export interface CamuSettings {
  epochs: number;
  /** opt_KL learning rate (step 1, representation level). */
  klLr: number;
  /** opt_CE learning rate (step 2, output level). */
  impairLr: number;
  batchSize: number;
}

export const CAMU_PRESETS = {
  /** Random removal of 10% of D on MNIST / Fashion-MNIST. */
  'mnist-random': { epochs: 10, klLr: 4e-4, impairLr: 5e-4, batchSize: 32 },
  /** Class removal (class 0) on MNIST / Fashion-MNIST. */
  'mnist-class': { epochs: 2, klLr: 4e-4, impairLr: 1e-3, batchSize: 32 },
  /** Random removal of 10% of D on CIFAR-10 / CIFAR-100. */
  'cifar-random': { epochs: 10, klLr: 1e-5, impairLr: 1e-4, batchSize: 32 },
  /** Class removal (class 0) on CIFAR-10 / CIFAR-100. */
  'cifar-class': { epochs: 2, klLr: 1e-5, impairLr: 5e-5, batchSize: 32 },
} as const satisfies Record<string, CamuSettings>;

export type CamuPresetName = keyof typeof CAMU_PRESETS;

export function isCamuPresetName(name: unknown): name is CamuPresetName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(CAMU_PRESETS, name);
}

/** The preset of the paper for a dataset ('mnist', 'fashion-mnist', 'cifar10', ...) and scenario. */
export function presetFor(datasetName: string, scenarioType: string): CamuPresetName {
  checkString(datasetName, 'presetFor: datasetName');
  checkString(scenarioType, 'presetFor: scenarioType');
  const family = /^cifar/i.test(datasetName) ? 'cifar' : /mnist|fashion/i.test(datasetName) ? 'mnist' : undefined;
  if (!family) {
    throw outOfRange(`no paper preset for dataset '${datasetName}': pass epochs, klLr and impairLr explicitly`);
  }
  if (scenarioType !== 'class' && scenarioType !== 'random') {
    throw outOfRange(`no paper preset for scenario '${scenarioType}' (the paper has 'class' and 'random')`);
  }
  return `${family}-${scenarioType}`;
}
