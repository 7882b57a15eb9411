/** Atomic file writes: a reader sees the old file or the complete new one, never a partial one. */
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { CamuError, ErrorCode } from './errors';

/**
 * Writes `data` to `file` so that readers see the old contents or the new, never a part: a
 * temporary file in the same directory, flushed to disk, then renamed over `file`. On failure
 * the temporary file is removed and `file` is untouched; the error is a CamuError (ERR_CAMU_IO).
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const directory = path.dirname(path.resolve(file));
  const temporary = path.join(directory, `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let created = false;
  try {
    const handle = await fsp.open(temporary, 'wx');
    created = true;
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fsp.rename(temporary, file);
    created = false;
  } catch (error) {
    if (created) await fsp.rm(temporary, { force: true });
    throw new CamuError(`cannot write ${file}: ${(error as Error).message}`, ErrorCode.Io, { cause: error });
  }
  // The rename is durable once the directory entry is flushed; some filesystems refuse to
  // fsync a directory, which does not undo the write.
  try {
    const handle = await fsp.open(directory, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // best effort, see above
  }
}
