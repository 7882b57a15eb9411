/**
 * .tar.gz extraction on the `tar` package, for the CIFAR archives: regular files and directories
 * only (links, devices and fifos are skipped, never created), every path kept inside the
 * destination, and a damaged archive reported as a CamuError.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ReadEntry, UnpackSync } from 'tar';
import { AbortError, CamuError, ErrorCode } from '../errors';
import { checkFunction, checkInstance, checkObject, checkString } from '../is';

export interface ExtractOptions {
  signal?: AbortSignal;
  /** Called with the number of compressed bytes read so far and the archive's size. */
  onBytes?: (done: number, total: number) => void;
}

const EXTRACTED_TYPES = new Set(['File', 'OldFile', 'ContiguousFile', 'Directory']);

/** What `tar` adds to the errors it raises: its own code, and the entry's path where one is at fault. */
interface TarError extends Error {
  tarCode?: string;
  code?: string;
  syscall?: string;
  path?: string;
}

/** A failure of `tar` as camu's error: file system errors are ERR_CAMU_IO, everything else the archive's fault. */
function camuError(error: TarError, archive: string): CamuError {
  if (error.syscall !== undefined) {
    return new CamuError(`cannot extract ${archive}: ${error.message}`, ErrorCode.Io, { cause: error });
  }
  const detail = error.message.replace(/^TAR_[A-Z_]+: /, '');
  if (error.tarCode === 'TAR_ENTRY_ERROR' || error.tarCode === 'TAR_ENTRY_INFO') {
    // '..' components, absolute paths, paths nested too deep: refused, never written elsewhere.
    return new CamuError(`${archive}: unsafe path in tar archive: '${error.path}' (${detail})`, ErrorCode.Format, { cause: error });
  }
  const what = error.code?.startsWith('Z_') ? 'truncated or corrupt gzip data' : 'corrupt tar archive';
  return new CamuError(`${archive}: ${what} (${detail})`, ErrorCode.Format, { cause: error });
}

/**
 * Extracts a .tar.gz archive into `destDir` (created if missing). Returns the extracted files'
 * paths relative to `destDir`. A corrupt or truncated archive rejects with a CamuError
 * (ERR_CAMU_FORMAT) naming it, and so does an entry whose path would leave `destDir`; what was
 * written so far is left for the caller to remove, and nothing is written after the promise
 * settles. An archive that ends after a complete entry without tar's end-of-archive blocks is
 * accepted, as GNU tar accepts it.
 */
export async function extractTarGz(archive: string, destDir: string, options: ExtractOptions = {}): Promise<string[]> {
  checkString(archive, 'extractTarGz: archive');
  checkString(destDir, 'extractTarGz: destDir');
  checkObject(options, 'extractTarGz: options');
  const { signal, onBytes } = options;
  if (signal !== undefined) checkInstance(signal, AbortSignal, 'extractTarGz: options.signal');
  if (onBytes !== undefined) checkFunction(onBytes, 'extractTarGz: options.onBytes');
  let total: number;
  try {
    total = fs.statSync(archive).size;
    fs.mkdirSync(destDir, { recursive: true });
  } catch (error) {
    throw new CamuError(`cannot extract ${archive}: ${(error as Error).message}`, ErrorCode.Io, { cause: error });
  }
  const root = path.resolve(destDir);
  const files: string[] = [];
  // UnpackSync does all its file system work inside each write(): when a chunk has been handed
  // over, nothing is in flight, so after a failure no write lands in a directory the caller removes.
  const unpack = new UnpackSync({
    cwd: root,
    strict: true, // every problem fails the extraction instead of skipping the entry with a warning
    preserveOwner: false, // as root, tar would otherwise give the files the archive's owners
    noMtime: true,
    filter: (_name, entry) => EXTRACTED_TYPES.has((entry as ReadEntry).type),
    onReadEntry: (entry) => {
      if (entry.type !== 'Directory') files.push(path.relative(root, path.resolve(root, entry.path)));
    },
  });
  if (signal?.aborted) throw new AbortError(`extracting ${archive} was aborted`, { cause: signal.reason });
  const input = fs.createReadStream(archive);
  let failed = false;
  let onAbort: (() => void) | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      const fail = (error: Error) => {
        if (failed) return;
        failed = true;
        input.destroy();
        reject(error);
      };
      input.on('error', (error) => fail(new CamuError(`cannot read ${archive}: ${error.message}`, ErrorCode.Io, { cause: error })));
      onAbort = () => fail(new AbortError(`extracting ${archive} was aborted`, { cause: signal?.reason }));
      signal?.addEventListener('abort', onAbort, { once: true });
      unpack.on('error', (error: TarError) => fail(camuError(error, archive)));
      unpack.on('close', () => resolve());
      let done = 0;
      input.on('data', (chunk) => {
        if (failed) return;
        done += chunk.length;
        unpack.write(chunk as Buffer);
        if (!failed) onBytes?.(done, total);
      });
      input.on('end', () => {
        if (!failed) unpack.end();
      });
    });
  } finally {
    if (onAbort) signal?.removeEventListener('abort', onAbort);
    input.destroy();
  }
  return files;
}
