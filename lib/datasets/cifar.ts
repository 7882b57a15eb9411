/**
 * CIFAR-10 and CIFAR-100 (binary versions), decoded natively from the cache (downloaded on first
 * use) or from a directory you name.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CamuError, ErrorCode } from '../errors';
import { checkBoolean, checkObject, checkOneOf, checkString } from '../is';
import { Progress, runJob } from '../jobs';
import { binding, RawCifarLabels } from '../native';
import { Dataset, DatasetPair, Geometry, IMAGENET_INPUT_SPEC } from './dataset';
import { CIFAR_SOURCES, CifarName, CifarSource, defaultCacheDir, DownloadOptions, downloadCifar } from './download';

export interface CifarOptions extends DownloadOptions {
  /**
   * A directory holding the binary files (data_batch_1.bin … test_batch.bin for CIFAR-10,
   * train.bin / test.bin for CIFAR-100), or the directory containing cifar-10-batches-bin /
   * cifar-100-binary. Nothing is downloaded then.
   */
  dir?: string;
  /** Download into the cache when the files are not there. Default true. */
  download?: boolean;
  /**
   * Network input size: 224 (default) is the paper's pipeline ('resize-224': resize, random-
   * resized crop and flip for training; resize and centre crop for evaluation); 32 is the
   * CPU-sized variant ('pad-crop-32': 4-px padded random crop and flip for training). Both
   * normalise with ImageNet mean/std. Switch later with `dataset.withTransform({ geometry })`.
   */
  resolution?: 224 | 32;
}

export interface Cifar100Options extends CifarOptions {
  /** Fine labels (100 classes, default) or coarse labels (20 superclasses). */
  labels?: 'fine' | 'coarse';
}

function findCifarDir(dir: string, source: CifarSource, fn: string): string {
  const has = (candidate: string) => fs.existsSync(path.join(candidate, source.trainFiles[0]));
  if (has(dir)) return dir;
  const nested = path.join(dir, source.dirName);
  if (has(nested)) return nested;
  throw new CamuError(
    `${fn}: ${dir} holds neither ${source.trainFiles[0]} nor ${source.dirName}/${source.trainFiles[0]}`,
    ErrorCode.Io,
  );
}

async function loadCifar(
  name: CifarName,
  datasetName: string,
  labels: RawCifarLabels,
  numClasses: number,
  options: CifarOptions,
  fn: string,
): Promise<DatasetPair> {
  checkObject(options, `${fn}: options`);
  const { dir: userDir, download = true, resolution = 224 } = options;
  checkOneOf(resolution, `${fn}: options.resolution`, [224, 32]);
  checkBoolean(download, `${fn}: options.download`);
  const source = CIFAR_SOURCES[name];
  let dir: string;
  if (userDir !== undefined) {
    checkString(userDir, `${fn}: options.dir`);
    dir = findCifarDir(userDir, source, fn);
  } else if (download) {
    dir = await downloadCifar(name, options);
  } else {
    const cached = path.join(path.resolve(options.cacheDir ?? defaultCacheDir()), source.dirName);
    if (!fs.existsSync(path.join(cached, source.trainFiles[0]))) {
      throw new CamuError(`${fn}: ${name} is not in the cache (${cached}) and options.download is false`, ErrorCode.Io);
    }
    dir = cached;
  }

  const geometry: Geometry = resolution === 224 ? 'resize-224' : 'pad-crop-32';
  const { signal, onProgress } = options;
  const read = (part: 'train' | 'test', files: string[]) => {
    const report = onProgress && ((progress: Progress) => onProgress({ ...progress, split: part }));
    return runJob(fn, { signal, onProgress: report }, (progress, flag) =>
      binding.readCifar(
        files.map((file) => path.join(dir, file)),
        { labels },
        progress,
        flag,
      ),
    );
  };
  const [train, test] = await Promise.all([read('train', source.trainFiles), read('test', source.testFiles)]);
  const make = (tensors: typeof train) =>
    new Dataset({ name: datasetName, ...tensors, numClasses, inputSpec: IMAGENET_INPUT_SPEC, geometry });
  return { train: make(train), test: make(test) };
}

/** CIFAR-10: 50000 train / 10000 test, 3×32×32, 10 classes. */
export function loadCifar10(options: CifarOptions = {}): Promise<DatasetPair> {
  return loadCifar('cifar10', 'cifar10', 'cifar10', 10, options, 'loadCifar10');
}

/**
 * CIFAR-100: 50000 train / 10000 test, 3×32×32; fine labels (100 classes, dataset name
 * 'cifar100') or coarse labels (20 classes, dataset name 'cifar100-coarse').
 */
export async function loadCifar100(options: Cifar100Options = {}): Promise<DatasetPair> {
  const fn = 'loadCifar100';
  const labels = options?.labels ?? 'fine';
  checkOneOf(labels, `${fn}: options.labels`, ['fine', 'coarse']);
  return labels === 'fine'
    ? loadCifar('cifar100', 'cifar100', 'cifar100-fine', 100, options, fn)
    : loadCifar('cifar100', 'cifar100-coarse', 'cifar100-coarse', 20, options, fn);
}
