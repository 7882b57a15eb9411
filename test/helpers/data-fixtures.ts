/** Small files in the real dataset formats (IDX, CIFAR binary, tar.gz), generated for tests. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';

const created: string[] = [];

/** A fresh directory under the system temp dir; removeTempDirs() deletes every one made so far. */
export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `camu-test-${prefix}-`));
  created.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of created.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

/** Deterministic bytes (a linear congruential sequence) so fixtures differ sample to sample. */
export function pseudoRandomBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = state >>> 24;
  }
  return out;
}

/** An IDX unsigned-byte file: magic 0x0000080<dims>, big-endian sizes, data. */
export function idxFile(dims: number[], data: Uint8Array): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = 0x08;
  header[3] = dims.length;
  dims.forEach((size, i) => header.writeUInt32BE(size, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(data)]);
}

export interface IdxSplitData {
  images: Uint8Array; // n*h*w
  labels: Uint8Array; // n
}

/** An MNIST-style split of n h×w images with the given labels. */
export function idxSplit(labels: number[], h = 28, w = 28, seed = 1): IdxSplitData {
  return { images: pseudoRandomBytes(labels.length * h * w, seed), labels: Uint8Array.from(labels) };
}

/** Writes the four standard IDX files into `dir` (gzip-compressed when `gzip`). */
export function writeIdxDir(
  dir: string,
  train: IdxSplitData,
  test: IdxSplitData,
  options: { gzip?: boolean; h?: number; w?: number } = {},
): void {
  const { gzip = false, h = 28, w = 28 } = options;
  const write = (name: string, bytes: Buffer) =>
    fs.writeFileSync(path.join(dir, gzip ? `${name}.gz` : name), gzip ? zlib.gzipSync(bytes) : bytes);
  for (const [prefix, split] of [
    ['train', train],
    ['t10k', test],
  ] as const) {
    write(`${prefix}-images-idx3-ubyte`, idxFile([split.labels.length, h, w], split.images));
    write(`${prefix}-labels-idx1-ubyte`, idxFile([split.labels.length], split.labels));
  }
}

/** CIFAR binary records: [label bytes..., 3072 pixel bytes] each. */
export function cifarFile(labelBytes: number[][], seed = 7): { bytes: Buffer; pixels: Uint8Array } {
  const recordPixels = 3 * 32 * 32;
  const pixels = pseudoRandomBytes(labelBytes.length * recordPixels, seed);
  const parts: Buffer[] = [];
  labelBytes.forEach((label, i) => {
    parts.push(Buffer.from(label));
    parts.push(Buffer.from(pixels.subarray(i * recordPixels, (i + 1) * recordPixels)));
  });
  return { bytes: Buffer.concat(parts), pixels };
}

function tarHeader(name: string, size: number, type: string, linkname = ''): Buffer {
  const block = Buffer.alloc(512);
  block.write(name, 0, 100, 'utf8');
  block.write('0000644\0', 100, 'ascii');
  block.write('0000000\0', 108, 'ascii');
  block.write('0000000\0', 116, 'ascii');
  block.write(`${size.toString(8).padStart(11, '0')}\0`, 124, 'ascii');
  block.write('00000000000\0', 136, 'ascii');
  block.fill(0x20, 148, 156);
  block.write(type, 156, 'ascii');
  block.write(linkname, 157, 100, 'utf8');
  block.write('ustar\0', 257, 'ascii');
  block.write('00', 263, 'ascii');
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return block;
}

export interface TarEntry {
  name: string;
  data?: Uint8Array; // absent: a directory
  type?: string; // default '0' (file) or '5' (directory)
  linkname?: string; // the target of a link ('1' hard, '2' symbolic)
}

/** A ustar archive of the entries, gzip-compressed. */
export function tarGz(entries: TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const data = entry.data ?? new Uint8Array(0);
    parts.push(tarHeader(entry.name, data.length, entry.type ?? (entry.data ? '0' : '5'), entry.linkname));
    parts.push(Buffer.from(data));
    const pad = (512 - (data.length % 512)) % 512;
    parts.push(Buffer.alloc(pad));
  }
  parts.push(Buffer.alloc(1024));
  return zlib.gzipSync(Buffer.concat(parts));
}

/** A CIFAR-10 binary archive: 5 train batches and a test batch of `perFile` records each. */
export function cifar10Archive(perFile: number): { archive: Buffer; trainLabels: number[]; testLabels: number[] } {
  const trainLabels: number[] = [];
  const entries: TarEntry[] = [{ name: 'cifar-10-batches-bin/' }];
  for (let b = 1; b <= 5; b++) {
    const labels = Array.from({ length: perFile }, (_, i) => (b * 3 + i) % 10);
    trainLabels.push(...labels);
    entries.push({ name: `cifar-10-batches-bin/data_batch_${b}.bin`, data: cifarFile(labels.map((l) => [l]), b).bytes });
  }
  const testLabels = Array.from({ length: perFile }, (_, i) => (i * 7) % 10);
  entries.push({ name: 'cifar-10-batches-bin/test_batch.bin', data: cifarFile(testLabels.map((l) => [l]), 99).bytes });
  entries.push({ name: 'cifar-10-batches-bin/batches.meta.txt', data: Buffer.from('airplane\nautomobile\n') });
  return { archive: tarGz(entries), trainLabels, testLabels };
}

/** A CIFAR-100 binary archive with `n` train and `n` test records; labels [coarse, fine]. */
export function cifar100Archive(n: number): { archive: Buffer; train: number[][]; test: number[][] } {
  const train = Array.from({ length: n }, (_, i) => [i % 20, (i * 3) % 100]);
  const test = Array.from({ length: n }, (_, i) => [(i + 5) % 20, (i * 7 + 1) % 100]);
  const archive = tarGz([
    { name: 'cifar-100-binary/' },
    { name: 'cifar-100-binary/train.bin', data: cifarFile(train, 3).bytes },
    { name: 'cifar-100-binary/test.bin', data: cifarFile(test, 4).bytes },
  ]);
  return { archive, train, test };
}

export function toNumbers(array: ArrayLike<number | bigint>): number[] {
  return Array.from(array as ArrayLike<number | bigint>, (v) => Number(v));
}

/**
 * Asserts that fn throws an error of the named class matching `pattern`. Compares names, not
 * constructors: errors thrown by the native addon come from Node's realm, not jest's sandbox.
 */
export function expectThrows(fn: () => unknown, name: 'TypeError' | 'RangeError' | 'CamuError', pattern?: RegExp): Error {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeDefined();
  expect((caught as Error).name).toBe(name);
  if (pattern) expect((caught as Error).message).toMatch(pattern);
  return caught as Error;
}
