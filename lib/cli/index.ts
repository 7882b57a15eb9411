#!/usr/bin/env node
/**
 * The `camu` executable. The addon reads its thread count once, when it loads, so the count that
 * `camu reproduce --jobs N` (or `jobs` in its --config file) implies is put in the environment
 * here, before the commands (and with them the addon) are loaded.
 */
import * as os from 'node:os';
import { readConfig, scanFlag } from './options';

/** `reproduce`'s job count as text: --jobs, else the --config file's `jobs`; undefined if neither. */
function jobsText(args: string[]): string | undefined {
  const flag = scanFlag(args, '--jobs');
  if (flag !== undefined) return flag;
  const file = scanFlag(args, '--config');
  if (file === undefined) return undefined;
  try {
    const { jobs } = readConfig(file).entries;
    return typeof jobs === 'number' ? String(jobs) : undefined;
  } catch {
    // The command reports a bad config file.
    return undefined;
  }
}

/**
 * CAMU_NUM_THREADS for `argv`: the cores shared among `reproduce --jobs N` (at least 1 each), or
 * undefined to leave the default (also when the user set CAMU_NUM_THREADS, or the job count is
 * not a whole number: the command itself then reports it).
 */
export function threadsForJobs(argv: string[], env: NodeJS.ProcessEnv, cores: number): number | undefined {
  if (argv[0] !== 'reproduce' || env.CAMU_NUM_THREADS !== undefined) return undefined;
  const text = jobsText(argv.slice(1));
  const jobs = Number(text);
  if (text === undefined || !Number.isSafeInteger(jobs) || jobs < 1) return undefined;
  return Math.max(1, Math.floor(cores / jobs));
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  const threads = threadsForJobs(argv, process.env, os.availableParallelism());
  if (threads !== undefined) process.env.CAMU_NUM_THREADS = String(threads);
  // Loaded only now, after the environment is set.
  let main: typeof import('./commands').main;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    ({ main } = require('./commands') as typeof import('./commands'));
  } catch (error) {
    // The addon did not load: its message says what was tried and what fixes it; a stack trace
    // into the loader would only hide that.
    const { code, message } = error as { code?: string; message?: string };
    if (code === undefined || !code.startsWith('ERR_')) throw error;
    process.stderr.write(`${message}\n`);
    process.exit(1);
  }
  main(argv).then((status) => {
    process.exitCode = status;
  });
}
