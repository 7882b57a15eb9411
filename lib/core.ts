/** Addon facts, tensors, and the machine's dense throughput through the linked libtorch. */
import { JobOptions, runJob, splitJobOptions } from './jobs';
import {
  addonPath,
  AddonSource,
  addonSource,
  AnyTypedArray,
  binding,
  libtorchDir,
  RawInfo,
  RawTensor,
  RawThroughputOptions,
  RawThroughputResult,
} from './native';

export type Info = RawInfo & {
  /** The addon file that loaded. */
  addonPath: string;
  /** Where it came from: a source build, the platform package (libtorch bundled) or a prebuild. */
  addonSource: AddonSource;
  /** The folder of the libtorch libraries in this process. */
  libtorchDir: string | undefined;
};
export type Tensor = RawTensor;
export type ThroughputOptions = RawThroughputOptions;
export type ThroughputResult = RawThroughputResult;

/** camu and libtorch versions, build variant, where the addon and libtorch came from, CUDA devices, threads, XGBoost. */
export function info(): Info {
  return { ...binding.info(), addonPath, addonSource, libtorchDir };
}

/** Copies a typed array into a native tensor of the given shape. */
export function tensor(data: AnyTypedArray, shape: number[]): Tensor {
  return binding.Tensor.fromTypedArray(data, shape);
}

/**
 * Times `iterations` dense operations (matmul: size³ float32 GEMM; conv: the paper CNN's second
 * convolution at size×size) and returns the median rate in GFLOP/s.
 */
export function measureThroughput(
  options: ThroughputOptions & JobOptions = {},
): Promise<ThroughputResult> {
  const [job, params] = splitJobOptions(options, 'measureThroughput');
  return runJob('measureThroughput', job, (progress, flag) =>
    binding.measureThroughput(params, progress, flag),
  );
}

export function measureThroughputSync(options: ThroughputOptions = {}): ThroughputResult {
  return binding.measureThroughputSync(options);
}
