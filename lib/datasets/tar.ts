/**
 * A small streaming reader for (gzip-compressed) tar archives, enough for the CIFAR archives:
 * ustar / GNU / pax headers, regular files and directories. Links and special files are skipped,
 * never created; paths that would leave the destination are rejected.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as zlib from 'node:zlib';
import { AbortError, CamuError, ErrorCode } from '../errors';
import { checkFunction, checkInstance, checkObject } from '../is';

const BLOCK = 512;

function readString(block: Buffer, offset: number, length: number): string {
  const field = block.subarray(offset, offset + length);
  const end = field.indexOf(0);
  return field.subarray(0, end === -1 ? length : end).toString('utf8');
}

/** An octal size/number field, or GNU base-256 when the high bit is set. */
function readNumber(block: Buffer, offset: number, length: number, source: string): number {
  const field = block.subarray(offset, offset + length);
  if (field[0] & 0x80) {
    let value = field[0] & 0x7f;
    for (let i = 1; i < length; i++) value = value * 256 + field[i];
    return value;
  }
  const text = readString(block, offset, length).trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new CamuError(`${source}: corrupt tar header (bad number '${text}')`, ErrorCode.Format);
  return parseInt(text, 8);
}

/** Header checksum: the sum of all bytes with the checksum field read as spaces. */
function checksumMatches(block: Buffer, source: string): boolean {
  const stored = readNumber(block, 148, 8, source);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i];
  return sum === stored;
}

/** pax records "<len> <key>=<value>\n". */
function parsePax(data: Buffer): Map<string, string> {
  const records = new Map<string, string>();
  let offset = 0;
  while (offset < data.length) {
    const space = data.indexOf(0x20, offset);
    if (space === -1) break;
    const length = parseInt(data.subarray(offset, space).toString('ascii'), 10);
    if (!Number.isFinite(length) || length <= 0) break;
    const record = data.subarray(space + 1, offset + length - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq > 0) records.set(record.slice(0, eq), record.slice(eq + 1));
    offset += length;
  }
  return records;
}

type EntryKind = 'file' | 'directory' | 'pax' | 'longname' | 'skip';

/** A Writable that consumes an uncompressed tar stream and writes its files under `destDir`. */
class TarExtractor extends Writable {
  private pending = Buffer.alloc(0);
  private state: 'header' | 'body' | 'end' = 'header';
  private remaining = 0; // body bytes left in the current entry
  private padding = 0; // bytes after the body up to the next 512-byte boundary
  private kind: EntryKind = 'skip';
  private fd: number | null = null;
  private collected: Buffer[] = []; // body of a pax / long-name entry
  private nextPath: string | undefined; // from a pax 'path' or GNU long-name entry
  private nextSize: number | undefined; // from a pax 'size' record
  private offset = 0; // position in the tar stream, for messages
  readonly files: string[] = [];

  constructor(
    private readonly destDir: string,
    private readonly source: string,
  ) {
    super();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    try {
      this.consume(chunk);
      callback();
    } catch (error) {
      this.closeFile();
      callback(error as Error);
    }
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.closeFile();
    if (this.state !== 'end') {
      callback(new CamuError(`${this.source}: truncated tar archive (no end-of-archive block)`, ErrorCode.Format));
    } else {
      callback();
    }
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.closeFile();
    callback(error);
  }

  private closeFile(): void {
    if (this.fd !== null) {
      fs.closeSync(this.fd);
      this.fd = null;
    }
  }

  private consume(chunk: Buffer): void {
    let data = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = Buffer.alloc(0);
    while (data.length > 0) {
      if (this.state === 'end') return; // trailing zero blocks and padding
      if (this.state === 'header') {
        if (data.length < BLOCK) {
          this.pending = Buffer.from(data);
          return;
        }
        this.header(data.subarray(0, BLOCK));
        data = data.subarray(BLOCK);
        this.offset += BLOCK;
        continue;
      }
      // body, then padding
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, data.length);
        this.body(data.subarray(0, take));
        this.remaining -= take;
        data = data.subarray(take);
        this.offset += take;
        if (this.remaining === 0) this.finishEntry();
        continue;
      }
      const skip = Math.min(this.padding, data.length);
      this.padding -= skip;
      data = data.subarray(skip);
      this.offset += skip;
      if (this.padding === 0) this.state = 'header';
    }
  }

  private header(block: Buffer): void {
    if (block.every((byte) => byte === 0)) {
      this.state = 'end';
      return;
    }
    if (!checksumMatches(block, this.source)) {
      throw new CamuError(`${this.source}: corrupt tar header at offset ${this.offset} (checksum mismatch)`, ErrorCode.Format);
    }
    const type = String.fromCharCode(block[156] || 0x30);
    let name = readString(block, 0, 100);
    if (readString(block, 257, 5) === 'ustar') {
      const prefix = readString(block, 345, 155);
      if (prefix) name = `${prefix}/${name}`;
    }
    const size = this.nextSize ?? readNumber(block, 124, 12, this.source);
    if (this.nextPath !== undefined && type !== 'x' && type !== 'L') name = this.nextPath;
    if (type !== 'x' && type !== 'L') {
      this.nextPath = undefined;
      this.nextSize = undefined;
    }

    if (type === '0' || type === '7') this.kind = 'file';
    else if (type === '5') this.kind = 'directory';
    else if (type === 'x') this.kind = 'pax';
    else if (type === 'L') this.kind = 'longname';
    else this.kind = 'skip'; // links, devices, fifos, global pax headers

    if (this.kind === 'file' || this.kind === 'directory') {
      const target = this.safePath(name);
      if (this.kind === 'directory') {
        fs.mkdirSync(target, { recursive: true });
      } else {
        fs.mkdirSync(path.dirname(target), { recursive: true });
        this.fd = fs.openSync(target, 'w');
        this.files.push(path.relative(this.destDir, target));
      }
    }
    this.remaining = this.kind === 'directory' ? 0 : size;
    this.padding = (BLOCK - (this.remaining % BLOCK)) % BLOCK;
    this.collected = [];
    this.state = 'body';
    if (this.remaining === 0) this.finishEntry();
  }

  private body(data: Buffer): void {
    if (this.kind === 'file' && this.fd !== null) {
      let written = 0;
      while (written < data.length) written += fs.writeSync(this.fd, data, written, data.length - written);
    } else if (this.kind === 'pax' || this.kind === 'longname') {
      this.collected.push(Buffer.from(data));
    }
  }

  private finishEntry(): void {
    this.closeFile();
    if (this.kind === 'pax') {
      const records = parsePax(Buffer.concat(this.collected));
      if (records.has('path')) this.nextPath = records.get('path');
      if (records.has('size')) this.nextSize = Number(records.get('size'));
    } else if (this.kind === 'longname') {
      this.nextPath = Buffer.concat(this.collected).toString('utf8').replace(/\0+$/, '');
    }
    if (this.padding === 0) this.state = 'header';
  }

  /** The destination of an entry; rejects absolute paths and '..' components. */
  private safePath(name: string): string {
    const normalised = name.replace(/\\/g, '/');
    const parts = normalised.split('/').filter((part) => part !== '' && part !== '.');
    if (normalised.startsWith('/') || parts.includes('..') || parts.length === 0) {
      throw new CamuError(`${this.source}: unsafe path in tar archive: '${name}'`, ErrorCode.Format);
    }
    return path.join(this.destDir, ...parts);
  }
}

export interface ExtractOptions {
  signal?: AbortSignal;
  /** Called with the number of compressed bytes read so far and the archive's size. */
  onBytes?: (done: number, total: number) => void;
}

/**
 * Extracts a .tar.gz archive into `destDir` (created if missing). Returns the extracted files'
 * paths relative to `destDir`. A corrupt or truncated archive rejects with a CamuError
 * (ERR_CAMU_FORMAT) naming it; what was written so far is left for the caller to remove.
 */
export async function extractTarGz(archive: string, destDir: string, options: ExtractOptions = {}): Promise<string[]> {
  checkObject(options, 'extractTarGz: options');
  if (options.signal !== undefined) checkInstance(options.signal, AbortSignal, 'extractTarGz: options.signal');
  if (options.onBytes !== undefined) checkFunction(options.onBytes, 'extractTarGz: options.onBytes');
  const total = fs.statSync(archive).size;
  let done = 0;
  const counter = new PassThrough();
  counter.on('data', (chunk: Buffer) => {
    done += chunk.length;
    options.onBytes?.(done, total);
  });
  fs.mkdirSync(destDir, { recursive: true });
  const extractor = new TarExtractor(destDir, archive);
  try {
    await pipeline(
      fs.createReadStream(archive),
      counter,
      zlib.createGunzip(),
      extractor,
      options.signal ? { signal: options.signal } : {},
    );
  } catch (error) {
    if (options.signal?.aborted) throw new AbortError(`extracting ${archive} was aborted`, { cause: error });
    if (error instanceof CamuError) throw error;
    const code = (error as NodeJS.ErrnoException).code ?? '';
    if (code.startsWith('Z_') || code === 'ERR_STREAM_PREMATURE_CLOSE') {
      throw new CamuError(`${archive}: truncated or corrupt gzip data (${(error as Error).message})`, ErrorCode.Format, {
        cause: error,
      });
    }
    throw new CamuError(`cannot extract ${archive}: ${(error as Error).message}`, ErrorCode.Io, { cause: error });
  }
  return extractor.files;
}
