/**
 * Reading the files users name (splits, results, configs): only regular files. The file is opened
 * without blocking and checked on its descriptor, so a FIFO, a device or a directory named by
 * mistake is an error at once instead of a read that waits forever.
 */
import * as fs from 'node:fs';

const NONBLOCKING_READ = fs.constants.O_RDONLY | fs.constants.O_NONBLOCK;

function notRegular(stats: fs.Stats): Error | undefined {
  if (stats.isFile()) return undefined;
  const kind = stats.isDirectory() ? 'a directory' : stats.isFIFO() ? 'a FIFO' : stats.isSocket() ? 'a socket' : 'a device or other special file';
  return new Error(`not a regular file (it is ${kind})`);
}

/** The text of regular file `file`; throws the fs error, or one saying what else `file` is. */
export function readRegularFileSync(file: string): string {
  const fd = fs.openSync(file, NONBLOCKING_READ);
  try {
    const error = notRegular(fs.fstatSync(fd));
    if (error) throw error;
    return fs.readFileSync(fd, 'utf8');
  } finally {
    fs.closeSync(fd);
  }
}

/** readRegularFileSync without blocking the event loop. */
export async function readRegularFile(file: string): Promise<string> {
  const handle = await fs.promises.open(file, NONBLOCKING_READ);
  try {
    const error = notRegular(await handle.stat());
    if (error) throw error;
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}
