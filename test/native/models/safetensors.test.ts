import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readSafetensorsSync, tensor, writeSafetensorsSync } from '../../../lib';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'camu-safetensors-'));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A file from a header object and a data section, as a hostile or broken writer would make it. */
function craft(name: string, header: unknown, data: Buffer, headerSize?: number): string {
  const json = Buffer.from(JSON.stringify(header));
  const size = Buffer.alloc(8);
  size.writeBigUInt64LE(BigInt(headerSize ?? json.length));
  const file = path.join(dir, name);
  fs.writeFileSync(file, Buffer.concat([size, json, data]));
  return file;
}

const read = (file: string) => () => readSafetensorsSync(file);

test('round trip of every dtype, with metadata, in data order', () => {
  const file = path.join(dir, 'all.safetensors');
  writeSafetensorsSync(
    file,
    {
      f32: tensor(new Float32Array([1.5, -2, 3]), [3]),
      f64: tensor(new Float64Array([Math.PI]), [1, 1]),
      i64: tensor(new BigInt64Array([-5n, 2n ** 40n]), [2]),
      i32: tensor(new Int32Array([7, 8, 9, 10]), [2, 2]),
      i16: tensor(new Int16Array([-3]), [1]),
      i8: tensor(new Int8Array([-1, 1]), [2]),
      u8: tensor(new Uint8Array([0, 255, 7]), [3, 1]),
      empty: tensor(new Float32Array(0), [0, 4]),
      'name with "quotes"\n': tensor(new Float32Array([1]), []),
    },
    { source: 'test', 'ünïcode': 'värde' },
  );
  const { tensors, metadata } = readSafetensorsSync(file);
  expect(metadata).toEqual({ source: 'test', 'ünïcode': 'värde' });
  expect(Object.keys(tensors)).toEqual(['f32', 'f64', 'i64', 'i32', 'i16', 'i8', 'u8', 'empty', 'name with "quotes"\n']);
  expect(Array.from(tensors.f32.toTypedArray() as Float32Array)).toEqual([1.5, -2, 3]);
  expect(tensors.f64.shape).toEqual([1, 1]);
  expect(Array.from(tensors.i64.toTypedArray() as BigInt64Array)).toEqual([-5n, 2n ** 40n]);
  expect(tensors.i32.shape).toEqual([2, 2]);
  expect(tensors.u8.dtype).toBe('uint8');
  expect(tensors.empty.shape).toEqual([0, 4]);
  expect(tensors['name with "quotes"\n'].shape).toEqual([]);
  // The data section starts 8-byte aligned.
  expect(Number(fs.readFileSync(file).readBigUInt64LE(0)) % 8).toBe(0);
});

test('reads what the reference writer layout produces (sorted header, padding)', () => {
  const data = Buffer.alloc(12);
  data.writeFloatLE(1, 0);
  data.writeFloatLE(2, 4);
  data.writeFloatLE(3, 8);
  const file = craft('ref.safetensors', { __metadata__: { format: 'pt' }, b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] }, a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, data);
  const { tensors } = readSafetensorsSync(file);
  expect(Object.keys(tensors)).toEqual(['a', 'b']);
  expect(Array.from(tensors.b.toTypedArray() as Float32Array)).toEqual([3]);
});

describe('malformed files are ERR_CAMU_FORMAT naming the problem', () => {
  const f32 = (offsets: number[], shape = [2]) => ({ dtype: 'F32', shape, data_offsets: offsets });
  test.each([
    ['outside', { a: f32([0, 8]), b: f32([8, 16]) }, Buffer.alloc(8), /point outside the file's data section of 8 bytes/],
    ['overlap', { a: f32([0, 8]), b: f32([4, 12]) }, Buffer.alloc(12), /"a" and "b" overlap/],
    ['hole', { a: f32([0, 8]) }, Buffer.alloc(12), /data section has 12 bytes but the tensors cover 8/],
    ['size', { a: f32([0, 8], [3]) }, Buffer.alloc(8), /need 12 bytes but data_offsets span 8/],
    ['dtype', { a: { dtype: 'F8_E4M3', shape: [8], data_offsets: [0, 8] } }, Buffer.alloc(8), /dtype "F8_E4M3", which camu does not read/],
    ['negative', { a: f32([0, 8], [-2]) }, Buffer.alloc(8), /non-negative integers/],
    ['order', { a: f32([8, 0]) }, Buffer.alloc(8), /begin > end/],
    ['fields', { a: { dtype: 'F32', shape: [2] } }, Buffer.alloc(8), /needs dtype, shape and data_offsets/],
    ['metadata', { __metadata__: { n: 1 }, a: f32([0, 8]) }, Buffer.alloc(8), /__metadata__.n is not a string/],
  ])('%s', (name, header, data, message) => {
    const file = craft(`${name}.safetensors`, header, data);
    expect(read(file)).toThrow(message);
    expect(read(file)).toThrow(expect.objectContaining({ code: 'ERR_CAMU_FORMAT' }));
  });

  test('a header size larger than the file', () => {
    const file = craft('big-header.safetensors', { a: f32([0, 8]) }, Buffer.alloc(8), 1 << 20);
    expect(read(file)).toThrow(/header size 1048576 does not fit a file of/);
  });

  test('a truncated file', () => {
    const good = path.join(dir, 'good.safetensors');
    writeSafetensorsSync(good, { a: tensor(new Float32Array(100), [100]) });
    const bytes = fs.readFileSync(good);
    const cut = path.join(dir, 'cut.safetensors');
    fs.writeFileSync(cut, bytes.subarray(0, bytes.length - 10));
    expect(read(cut)).toThrow(/point outside the file's data section/);
    fs.writeFileSync(cut, bytes.subarray(0, 5));
    expect(read(cut)).toThrow(/too short for a safetensors file/);
  });

  test('malformed JSON and duplicate keys', () => {
    const size = Buffer.alloc(8);
    const bad = Buffer.from('{"a": {"dtype": "F32",');
    size.writeBigUInt64LE(BigInt(bad.length));
    const file = path.join(dir, 'json.safetensors');
    fs.writeFileSync(file, Buffer.concat([size, bad]));
    expect(read(file)).toThrow(/malformed safetensors header/);
    const dup = Buffer.from('{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}');
    size.writeBigUInt64LE(BigInt(dup.length));
    fs.writeFileSync(file, Buffer.concat([size, dup, Buffer.alloc(1)]));
    expect(read(file)).toThrow(/duplicate key "a"/);
  });

  test('an unreadable path is ERR_CAMU_IO', () => {
    expect(read(path.join(dir, 'absent.safetensors'))).toThrow(expect.objectContaining({ code: 'ERR_CAMU_IO' }));
    expect(read(dir)).toThrow(expect.objectContaining({ code: 'ERR_CAMU_IO' }));
  });
});

test('a failed write leaves the old file and no temp file', () => {
  const file = path.join(dir, 'replace.safetensors');
  writeSafetensorsSync(file, { a: tensor(new Float32Array([1]), [1]) });
  expect(() => writeSafetensorsSync(file, { b: 'not a tensor' as never })).toThrow(expect.objectContaining({ name: 'TypeError' }));
  expect(Object.keys(readSafetensorsSync(file).tensors)).toEqual(['a']);
  writeSafetensorsSync(file, { b: tensor(new Uint8Array([1, 2]), [2]) });
  expect(Object.keys(readSafetensorsSync(file).tensors)).toEqual(['b']);
  expect(fs.readdirSync(dir).filter((name) => name.includes('.tmp-'))).toEqual([]);
});
