/**
 * A dataset split (train or test) decoded once into native memory: one contiguous images tensor
 * (uint8 N×C×H×W) and one labels tensor (int64 N). JS holds Tensor handles, never the pixels.
 */
import { checkObject, checkString, invalidArgType, outOfRange } from '../is';
import { binding, RawDataset, RawTensor } from '../native';

export type Tensor = RawTensor;

/**
 * How stored images are resized / cropped / flipped before normalisation (native transforms):
 * - `'none'`: images go in at their stored size (MNIST, Fashion-MNIST, user data);
 * - `'resize-224'`: the paper's CIFAR pipeline. Training: Resize(224) → RandomResizedCrop(224)
 *   → horizontal flip; evaluation: Resize(224) → CenterCrop(224);
 * - `'pad-crop-32'`: the 32-px CIFAR variant. Training: random 32-px crop with 4-px zero padding
 *   → horizontal flip; evaluation: the stored image.
 */
export type Geometry = 'none' | 'resize-224' | 'pad-crop-32';

/**
 * Per-channel normalisation applied after scaling pixels to [0, 1] and after the geometry:
 * x → (x − mean[c]) / std[c]. Empty arrays mean no normalisation (the paper's MNIST CNN).
 */
export interface InputSpec {
  readonly mean: readonly number[];
  readonly std: readonly number[];
}

/** ImageNet statistics: the paper normalises CIFAR inputs with these (for ResNet-18). */
export const IMAGENET_INPUT_SPEC: InputSpec = Object.freeze({
  mean: Object.freeze([0.485, 0.456, 0.406]),
  std: Object.freeze([0.229, 0.224, 0.225]),
});

/** No normalisation: inputs stay in [0, 1]. */
export const UNIT_INPUT_SPEC: InputSpec = Object.freeze({ mean: Object.freeze([]), std: Object.freeze([]) });

export interface DatasetInit {
  /** Identifies the data in split files: 'mnist', 'fashion-mnist', 'cifar10', 'cifar100', 'cifar100-coarse', … */
  name: string;
  /** uint8 [N, C, H, W] (or float32 already scaled to [0, 1]). */
  images: Tensor;
  /** int64 [N], each in [0, numClasses). */
  labels: Tensor;
  numClasses: number;
  inputSpec?: InputSpec;
  geometry?: Geometry;
}

export interface BatchOptions {
  /** Training input (random augmentation of the geometry) instead of evaluation input. Default false. */
  train?: boolean;
  /** Seeds the augmentation's random choices (only used with `train`). Default 0. */
  seed?: number;
}

/** A train or test split of a dataset, held natively. */
export class Dataset implements RawDataset {
  /** Set by the constructor only: `instanceof Dataset` checks it, not the prototype (a forged object is no Dataset). */
  readonly #constructed = true;
  static [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && #constructed in value;
  }
  /** `self`, refused (coded TypeError) when it only has Dataset's prototype: for the getters and methods. */
  static #checked<T extends Dataset>(self: T): T {
    if (!(#constructed in self)) throw invalidArgType('this must be a Dataset made by camu (datasetFromArrays, loadMnist, ...), got an object that only has its prototype');
    return self;
  }
  readonly name: string;
  readonly images: Tensor;
  readonly labels: Tensor;
  readonly numClasses: number;
  readonly inputSpec: InputSpec;
  readonly geometry: Geometry;

  /**
   * Wraps existing native tensors (no copy). Validates dtypes, shapes, the label range and the
   * transform: TypeError / RangeError naming the bad field.
   */
  constructor(init: DatasetInit) {
    checkObject(init, 'new Dataset: init');
    this.name = init.name;
    this.images = init.images;
    this.labels = init.labels;
    this.numClasses = init.numClasses;
    const spec = init.inputSpec ?? UNIT_INPUT_SPEC;
    this.inputSpec = Object.freeze({ mean: Object.freeze([...spec.mean]), std: Object.freeze([...spec.std]) });
    this.geometry = init.geometry ?? 'none';
    binding.checkDataset(this);
    Object.freeze(this);
  }

  /** Number of samples N. */
  get size(): number {
    return Dataset.#checked(this).images.shape[0];
  }

  /** The images tensor's shape [N, C, H, W]. */
  get shape(): [number, number, number, number] {
    const [n, c, h, w] = Dataset.#checked(this).images.shape;
    return [n, c, h, w];
  }

  /** Shape of one network input [C, H, W] after the geometry (e.g. [3, 224, 224] for 'resize-224'). */
  get inputShape(): [number, number, number] {
    const [, c, h, w] = Dataset.#checked(this).images.shape;
    return this.geometry === 'resize-224' ? [c, 224, 224] : [c, h, w];
  }

  /** The same tensors with another transform (e.g. CIFAR at 32 px instead of 224). */
  withTransform(transform: { inputSpec?: InputSpec; geometry?: Geometry }): Dataset {
    const { name, images, labels, numClasses, inputSpec, geometry } = Dataset.#checked(this);
    return new Dataset({
      name,
      images,
      labels,
      numClasses,
      inputSpec: transform.inputSpec ?? inputSpec,
      geometry: transform.geometry ?? geometry,
    });
  }

  /**
   * The network input (float32 [B, C, H', W']) for the samples at `indices`, built natively:
   * gather, scale to [0, 1], geometry (augmented when `train`), normalise.
   */
  batch(indices: Tensor | Int32Array | BigInt64Array, options: BatchOptions = {}): Tensor {
    return binding.datasetBatch(this, indices, options);
  }

  /** Number of samples of each class, indexed by class. */
  classCounts(): number[] {
    const { numClasses, labels } = Dataset.#checked(this);
    const counts = new Array<number>(numClasses).fill(0);
    for (const label of labels.toTypedArray() as BigInt64Array) counts[Number(label)] += 1;
    return counts;
  }
}

/** A dataset's train and test splits. */
export interface DatasetPair {
  train: Dataset;
  test: Dataset;
}

export interface ArraysInit {
  /** Pixels in N×C×H×W order: uint8 (0..255) or float32 already scaled to [0, 1]. Copied. */
  images: Uint8Array | Float32Array;
  /** [N, C, H, W]; its product must equal images.length. */
  shape: [number, number, number, number] | number[];
  /** One class index per image, each in [0, numClasses). Copied. */
  labels: Uint8Array | Int32Array | BigInt64Array | readonly number[];
  numClasses: number;
  /** Default 'custom'. Split files record it; use a stable name for your data. */
  name?: string;
  /** Default: no normalisation. */
  inputSpec?: InputSpec;
  /** Default 'none'. */
  geometry?: Geometry;
}

/**
 * A Dataset from your own arrays (copied into native tensors). Throws TypeError / RangeError
 * naming the argument when an array's length does not match the shape, a label is out of range,
 * or a value has the wrong type.
 */
export function datasetFromArrays(init: ArraysInit): Dataset {
  checkObject(init, 'datasetFromArrays: init');
  let labels = init.labels;
  if (Array.isArray(labels)) {
    const list: readonly unknown[] = labels;
    list.forEach((label, i) => {
      if (typeof label !== 'number' || !Number.isInteger(label)) {
        throw invalidArgType(`datasetFromArrays: labels[${i}] must be an integer, got ${String(label)}`);
      }
      if (label < 0 || label > 2 ** 31 - 1) {
        throw outOfRange(`datasetFromArrays: labels[${i}] = ${label} is outside [0, ${init.numClasses})`);
      }
    });
    labels = Int32Array.from(list as number[]);
  }
  const name = init.name ?? 'custom';
  checkString(name, 'datasetFromArrays: name');
  const tensors = binding.tensorsFromArrays(
    init.images,
    init.shape,
    labels as Uint8Array | Int32Array | BigInt64Array,
    init.numClasses,
  );
  return new Dataset({
    name,
    images: tensors.images,
    labels: tensors.labels,
    numClasses: init.numClasses,
    inputSpec: init.inputSpec,
    geometry: init.geometry,
  });
}
