/** Datasets: decoded once into native tensors; loaders, user data, downloads, batching. */
export { Dataset, datasetFromArrays, IMAGENET_INPUT_SPEC, UNIT_INPUT_SPEC } from './dataset';
export type { ArraysInit, BatchOptions, DatasetInit, DatasetPair, Geometry, InputSpec } from './dataset';
export { FASHION_MNIST_SYSTEM_DIR, loadFashionMnist, loadFashionMnistSync, loadMnist, loadMnistSync } from './idx';
export type { IdxOptions } from './idx';
export { loadCifar10, loadCifar100 } from './cifar';
export type { Cifar100Options, CifarOptions } from './cifar';
export { CIFAR_BASE_URL, CIFAR_SOURCES, defaultCacheDir, downloadCifar, downloadFile } from './download';
export type { CifarName, CifarSource, DownloadOptions } from './download';
export { extractTarGz } from './extract';
export type { ExtractOptions } from './extract';
export { pairedEpochBatches, shuffledBatches } from './batching';
export type { PairedBatch, ShuffleOptions } from './batching';
