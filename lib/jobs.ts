/** Runs a native job with an AbortSignal and a progress callback. */
import { AbortError } from './errors';
import { checkFunction, checkInstance, checkObject } from './is';
import { binding, RawAbortFlag, RawProgress, RawProgressCallback } from './native';

export type Progress = RawProgress;

export interface JobOptions {
  /** Aborts the job between steps; the promise then rejects with an AbortError. */
  signal?: AbortSignal;
  /** Called on the main thread for each step the job reports. */
  onProgress?: (progress: Progress) => void;
}

export function checkJobOptions(options: JobOptions, fn: string): void {
  checkObject(options, `${fn}: options`);
  if (options.signal !== undefined) checkInstance(options.signal, AbortSignal, `${fn}: options.signal`);
  if (options.onProgress !== undefined) checkFunction(options.onProgress, `${fn}: options.onProgress`);
}

/** Checks `options` and separates the job's own (signal, onProgress) from the operation's. */
export function splitJobOptions<T extends JobOptions>(options: T, fn: string): [JobOptions, Omit<T, keyof JobOptions>] {
  checkJobOptions(options, fn);
  const { signal, onProgress, ...params } = options;
  return [{ signal, onProgress }, params];
}

/**
 * Validates the options and starts the native job synchronously, so bad arguments throw (they do
 * not reject); the returned promise settles with the job.
 */
export function runJob<T>(
  fn: string,
  options: JobOptions,
  start: (onProgress: RawProgressCallback | undefined, abortFlag: RawAbortFlag) => Promise<T>,
): Promise<T> {
  checkJobOptions(options, fn);
  const { signal, onProgress } = options;
  if (signal?.aborted) {
    return Promise.reject(new AbortError(`${fn} was aborted before it started`, { cause: signal.reason }));
  }
  const flag = new binding.AbortFlag();
  const onAbort = () => flag.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  let job: Promise<T>;
  try {
    job = start(onProgress, flag);
  } catch (error) {
    signal?.removeEventListener('abort', onAbort);
    throw error;
  }
  return job.then(
    (result) => {
      signal?.removeEventListener('abort', onAbort);
      return result;
    },
    (error: unknown) => {
      signal?.removeEventListener('abort', onAbort);
      if (error instanceof AbortError && signal?.aborted) {
        throw new AbortError(`${fn} was aborted`, { cause: signal.reason });
      }
      throw error;
    },
  );
}
