/** Runs a native job with an AbortSignal and a progress callback. */
import { AbortError } from './errors';
import { binding, RawAbortFlag, RawProgress, RawProgressCallback } from './native';

export type Progress = RawProgress;

export interface JobOptions {
  /** Aborts the job between steps; the promise then rejects with an AbortError. */
  signal?: AbortSignal;
  /** Called on the main thread for each step the job reports. */
  onProgress?: (progress: Progress) => void;
}

export function checkJobOptions(options: JobOptions, fn: string): void {
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
    throw new TypeError(`${fn}: options.signal must be an AbortSignal`);
  }
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') {
    throw new TypeError(`${fn}: options.onProgress must be a function`);
  }
}

/** Validates the options synchronously (bad options throw, they do not reject), then runs the job. */
export function runJob<T>(
  fn: string,
  options: JobOptions,
  start: (onProgress: RawProgressCallback | undefined, abortFlag: RawAbortFlag) => Promise<T>,
): Promise<T> {
  checkJobOptions(options, fn);
  return runCheckedJob(fn, options, start);
}

async function runCheckedJob<T>(
  fn: string,
  { signal, onProgress }: JobOptions,
  start: (onProgress: RawProgressCallback | undefined, abortFlag: RawAbortFlag) => Promise<T>,
): Promise<T> {
  if (signal?.aborted) throw new AbortError(`${fn} was aborted before it started`, { cause: signal.reason });
  const flag = new binding.AbortFlag();
  const onAbort = () => flag.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await start(onProgress, flag);
  } catch (error) {
    if (error instanceof AbortError && signal?.aborted) {
      throw new AbortError(`${fn} was aborted`, { cause: signal.reason });
    }
    throw error;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}
