/**
 * Downloads into camu's cache: checksum-verified, atomic and resumable.
 *
 * A download goes to `<file>.part` (resumed with an HTTP Range request when a previous transfer
 * was interrupted), is verified against its MD5, and only then renamed to its final name. An
 * archive is extracted into a temporary directory that is renamed into place when complete.
 * So the cache never holds a final-looking entry that is incomplete or unverified: after a
 * failure it holds nothing, except the `.part` of an interrupted transfer (network error,
 * truncated response, abort), which the next call resumes. A checksum mismatch deletes the
 * `.part`; a corrupt archive is deleted with its extraction directory.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import { AbortError, CamuError, ErrorCode } from '../errors';
import { checkObject, checkOneOf, checkString, describeValue, outOfRange } from '../is';
import { checkJobOptions, JobOptions } from '../jobs';
import { extractTarGz } from './extract';

/** Where the CIFAR archives live unless `baseUrl` or CAMU_CIFAR_BASE_URL says otherwise. */
export const CIFAR_BASE_URL = 'https://www.cs.toronto.edu/~kriz/';

export type CifarName = 'cifar10' | 'cifar100';

export interface CifarSource {
  /** Archive file name under the base URL. */
  archive: string;
  /** MD5 of the archive, as published with it. */
  md5: string;
  /** The directory the archive extracts to. */
  dirName: string;
  trainFiles: string[];
  testFiles: string[];
}

/** The binary versions of CIFAR-10 and CIFAR-100. */
export const CIFAR_SOURCES: Readonly<Record<CifarName, CifarSource>> = Object.freeze({
  cifar10: {
    archive: 'cifar-10-binary.tar.gz',
    md5: 'c32a1d4ab5d03f1284b67883e8d87530',
    dirName: 'cifar-10-batches-bin',
    trainFiles: [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`),
    testFiles: ['test_batch.bin'],
  },
  cifar100: {
    archive: 'cifar-100-binary.tar.gz',
    md5: '03b5dce01913d631647c71ecec9e9cb8',
    dirName: 'cifar-100-binary',
    trainFiles: ['train.bin'],
    testFiles: ['test.bin'],
  },
});

/** $CAMU_CACHE_DIR, else $XDG_CACHE_HOME/camu, else ~/.cache/camu. */
export function defaultCacheDir(): string {
  if (process.env.CAMU_CACHE_DIR) return process.env.CAMU_CACHE_DIR;
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'camu');
}

export interface DownloadOptions extends JobOptions {
  /** Directory for archives and extracted files. Default: defaultCacheDir(). */
  cacheDir?: string;
  /** Mirror to download from instead of CIFAR_BASE_URL (also: the CAMU_CIFAR_BASE_URL environment variable). */
  baseUrl?: string;
  /** Expected MD5 (hex) of the archive, for a mirror serving different bytes. Default: the published one. */
  md5?: string;
}

const MAX_REDIRECTS = 5;
const IDLE_TIMEOUT_MS = 60_000;
const PROGRESS_EVERY_BYTES = 256 * 1024;

function md5OfFile(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = crypto.createHash('md5');
    fs.createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

function removeQuietly(target: string): void {
  fs.rmSync(target, { recursive: true, force: true });
}

interface Response {
  status: number;
  headers: http.IncomingHttpHeaders;
  stream: http.IncomingMessage;
}

function request(url: URL, headers: Record<string, string>, signal: AbortSignal | undefined): Promise<Response> {
  return new Promise((resolve, reject) => {
    const client = url.protocol === 'https:' ? https : url.protocol === 'http:' ? http : undefined;
    if (!client) {
      reject(new CamuError(`cannot download ${url.href}: only http and https URLs are supported`, ErrorCode.Io));
      return;
    }
    const req = client.get(url, { headers, signal }, (res) => {
      resolve({ status: res.statusCode ?? 0, headers: res.headers, stream: res });
    });
    req.setTimeout(IDLE_TIMEOUT_MS, () => req.destroy(new Error(`no data for ${IDLE_TIMEOUT_MS / 1000} s`)));
    req.on('error', reject);
  });
}

/** "bytes <start>-<end>/<total>" -> start and total (total NaN when '*'). */
function parseContentRange(value: string | undefined): { start: number; total: number } | undefined {
  const match = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(value ?? '');
  return match ? { start: Number(match[1]), total: match[2] === '*' ? NaN : Number(match[2]) } : undefined;
}

/**
 * Streams the response body onto `part` (appending at `offset`). Resolves with the total size the
 * server announced (NaN if it did not); rejects when the transfer breaks off, leaving `part`.
 */
function receive(
  res: Response,
  part: string,
  offset: number,
  url: string,
  options: JobOptions,
): Promise<number> {
  const length = Number(res.headers['content-length'] ?? NaN);
  const total = offset + length;
  return new Promise((resolve, reject) => {
    const out = fs.createWriteStream(part, { flags: offset > 0 ? 'a' : 'w' });
    let received = offset;
    let reported = offset;
    let failed = false;
    // On a broken transfer, everything received so far is flushed to the .part (so a resume
    // continues exactly after it) before the promise rejects.
    const fail = (error: Error, outputFailed = false) => {
      if (failed) return;
      failed = true;
      res.stream.unpipe(out);
      res.stream.destroy();
      if (outputFailed) {
        reject(error);
        return;
      }
      out.once('close', () => reject(error));
      out.end();
    };
    res.stream.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received - reported >= PROGRESS_EVERY_BYTES) {
        reported = received;
        options.onProgress?.({ phase: 'download', step: received, total: Number.isFinite(total) ? total : 0 });
      }
    });
    res.stream.on('aborted', () => fail(new Error('the connection closed early')));
    res.stream.on('error', (error) => fail(error));
    out.on('error', (error) => fail(new Error(`cannot write ${part}: ${error.message}`), true));
    res.stream.pipe(out);
    out.on('finish', () => {
      if (failed) return;
      if (Number.isFinite(total) && received < total) {
        failed = true;
        reject(new Error(`the response ended after ${received} of ${total} bytes`));
        return;
      }
      options.onProgress?.({ phase: 'download', step: received, total: Number.isFinite(total) ? total : received });
      resolve(Number.isFinite(total) ? total : received);
    });
  });
}

/**
 * Downloads `url` to `dest`, verified against `md5`. Atomic: `dest` appears (by rename) only
 * when complete and verified. Resumable: an interrupted transfer leaves `<dest>.part`, and the
 * next call continues it with an HTTP Range request. A checksum mismatch deletes the `.part`
 * and rejects with ERR_CAMU_FORMAT; network failures reject with ERR_CAMU_IO; an abort rejects
 * with an AbortError.
 */
export async function downloadFile(url: string, dest: string, md5: string, options: JobOptions = {}): Promise<void> {
  checkString(url, 'downloadFile: url');
  checkString(dest, 'downloadFile: dest');
  checkMd5(md5, 'downloadFile: md5');
  checkJobOptions(options, 'downloadFile');
  const { signal } = options;
  const part = `${dest}.part`;
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  let target = new URL(url);
  let redirects = 0;
  let restarted = false;
  for (;;) {
    if (signal?.aborted) throw new AbortError(`download of ${url} was aborted`, { cause: signal.reason });
    const offset = fs.existsSync(part) ? fs.statSync(part).size : 0;
    let res: Response;
    try {
      res = await request(target, offset > 0 ? { Range: `bytes=${offset}-` } : {}, signal);
    } catch (error) {
      if (signal?.aborted) throw new AbortError(`download of ${url} was aborted`, { cause: signal.reason });
      throw new CamuError(`cannot download ${target.href}: ${(error as Error).message}`, ErrorCode.Io, { cause: error });
    }
    if (res.status >= 300 && res.status < 400 && res.headers.location) {
      res.stream.resume();
      if (++redirects > MAX_REDIRECTS) throw new CamuError(`cannot download ${url}: too many redirects`, ErrorCode.Io);
      target = new URL(res.headers.location, target);
      continue;
    }
    if (res.status === 416 && offset > 0) {
      // The .part already holds the whole file (or is longer than it): verify what is there.
      res.stream.resume();
    } else if (res.status === 200 || res.status === 206) {
      let start = 0;
      if (res.status === 206) {
        const range = parseContentRange(res.headers['content-range'] as string | undefined);
        if (!range || range.start !== offset) {
          // A range we did not ask for: start over once from byte 0.
          res.stream.resume();
          if (restarted) throw new CamuError(`cannot download ${url}: the server sent a wrong byte range`, ErrorCode.Io);
          restarted = true;
          removeQuietly(part);
          continue;
        }
        start = offset;
      }
      try {
        await receive(res, part, start, url, options);
      } catch (error) {
        if (signal?.aborted) throw new AbortError(`download of ${url} was aborted`, { cause: signal.reason });
        throw new CamuError(
          `download of ${target.href} was interrupted: ${(error as Error).message}; ` +
            `${part} was kept and the next call resumes it`,
          ErrorCode.Io,
          { cause: error },
        );
      }
    } else {
      res.stream.resume();
      throw new CamuError(`cannot download ${target.href}: HTTP ${res.status}`, ErrorCode.Io);
    }
    const actual = await md5OfFile(part);
    if (actual !== md5.toLowerCase()) {
      removeQuietly(part);
      throw new CamuError(
        `checksum mismatch for ${url}: expected MD5 ${md5.toLowerCase()}, got ${actual}; the download was deleted`,
        ErrorCode.Format,
      );
    }
    fs.renameSync(part, dest);
    return;
  }
}

function cifarDirComplete(dir: string, source: CifarSource): boolean {
  return [...source.trainFiles, ...source.testFiles].every((file) => {
    try {
      return fs.statSync(path.join(dir, file)).isFile();
    } catch {
      return false;
    }
  });
}

function checkMd5(value: unknown, name: string): asserts value is string {
  checkString(value, name);
  if (!/^[0-9a-fA-F]{32}$/.test(value)) throw outOfRange(`${name} must be 32 hexadecimal digits, got ${describeValue(value)}`);
}

function checkDownloadOptions(options: DownloadOptions, fn: string): void {
  checkObject(options, `${fn}: options`);
  checkJobOptions(options, fn);
  for (const key of ['cacheDir', 'baseUrl'] as const) {
    if (options[key] !== undefined) checkString(options[key], `${fn}: options.${key}`);
  }
  if (options.md5 !== undefined) checkMd5(options.md5, `${fn}: options.md5`);
}

/**
 * Makes sure the CIFAR-10 or CIFAR-100 binary files are in the cache, downloading and extracting
 * them when needed, and returns their directory (`<cacheDir>/cifar-10-batches-bin` or
 * `<cacheDir>/cifar-100-binary`). Progress phases: 'download' and 'extract' (bytes).
 */
export async function downloadCifar(name: CifarName, options: DownloadOptions = {}): Promise<string> {
  const fn = 'downloadCifar';
  checkDownloadOptions(options, fn);
  checkOneOf(name, `${fn}: name`, Object.keys(CIFAR_SOURCES) as CifarName[]);
  const source = CIFAR_SOURCES[name];
  const cacheDir = path.resolve(options.cacheDir ?? defaultCacheDir());
  const dir = path.join(cacheDir, source.dirName);
  if (cifarDirComplete(dir, source)) return dir;

  const baseUrl = options.baseUrl ?? process.env.CAMU_CIFAR_BASE_URL ?? CIFAR_BASE_URL;
  const md5 = (options.md5 ?? source.md5).toLowerCase();
  const archive = path.join(cacheDir, source.archive);
  if (fs.existsSync(archive) && (await md5OfFile(archive)) !== md5) removeQuietly(archive);
  if (!fs.existsSync(archive)) {
    const url = new URL(source.archive, baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`).href;
    await downloadFile(url, archive, md5, options);
  }

  const staging = fs.mkdtempSync(path.join(cacheDir, `.${source.dirName}.extract-`));
  try {
    await extractTarGz(archive, staging, {
      signal: options.signal,
      onBytes: (done, total) => options.onProgress?.({ phase: 'extract', step: done, total }),
    });
    const extracted = path.join(staging, source.dirName);
    if (!cifarDirComplete(extracted, source)) {
      throw new CamuError(
        `${archive} does not hold the ${name} binary files (${source.dirName}/${source.trainFiles[0]}, …)`,
        ErrorCode.Format,
      );
    }
    removeQuietly(dir); // an incomplete leftover, never a complete one (checked above)
    fs.renameSync(extracted, dir);
  } catch (error) {
    // A verified archive that cannot be extracted is useless: nothing of it stays in the cache.
    if (error instanceof CamuError && error.code === ErrorCode.Format) removeQuietly(archive);
    throw error;
  } finally {
    removeQuietly(staging);
  }
  return dir;
}
