/**
 * Task parallelism across ranks (docs/distributed.md, "Independent work"): a thin layer over the
 * native task group (native/distributed/task_group.h). Ranks take items of a deterministic list
 * from a shared counter in rank 0's TCP store, publish what they made under keys, and wait for
 * each other's keys; a rank that fails, exits or stops answering makes the others fail with
 * ERR_CAMU_DISTRIBUTED within the timeout.
 */
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CamuError, ErrorCode } from './errors';
import { runJob } from './jobs';
import { createModel, CreateModelOptions, loadWeights, Model, saveWeights } from './models';
import { binding, RawDistributedOptions } from './native';

/** How often a running group is asked whether it can go on (see `watch`). */
const WATCH_MS = 250;

type RawGroup = unknown;
interface TaskBinding {
  taskGroupConnect(distributed: RawDistributedOptions, name: string, onProgress?: unknown, abortFlag?: unknown): Promise<RawGroup>;
  taskGroupGet(group: RawGroup, keys: string[], onProgress?: unknown, abortFlag?: unknown): Promise<Buffer[]>;
  taskGroupClose(group: RawGroup): Promise<undefined>;
  taskGroupTake(group: RawGroup, queue: string): number;
  taskGroupPut(group: RawGroup, key: string, value: string | Uint8Array): undefined;
  taskGroupFail(group: RawGroup, message: string): undefined;
  taskGroupProblem(group: RawGroup): string;
  taskGroupInfo(group: RawGroup): { rank: number; worldSize: number; timeoutSeconds: number };
}
const native = binding as unknown as TaskBinding;

export class TaskGroup {
  readonly rank: number;
  readonly worldSize: number;
  readonly timeoutSeconds: number;
  private closed = false;

  private constructor(private readonly raw: RawGroup) {
    ({ rank: this.rank, worldSize: this.worldSize, timeoutSeconds: this.timeoutSeconds } = native.taskGroupInfo(raw));
  }

  /** Joins the group `name` of the rendezvous `distributed`: resolves once every rank has joined. */
  static async connect(distributed: RawDistributedOptions, name: string, signal?: AbortSignal): Promise<TaskGroup> {
    const raw = await runJob('taskGroupConnect', { signal }, (onProgress, flag) => native.taskGroupConnect(distributed, name, onProgress, flag));
    return new TaskGroup(raw);
  }

  /** The next index of the shared counter `queue` (each index goes to one rank). */
  take(queue: string): number {
    return native.taskGroupTake(this.raw, queue);
  }

  put(key: string, value: string | Uint8Array): void {
    native.taskGroupPut(this.raw, key, value);
  }

  /** The values of `keys` once all are published (by any rank). */
  get(keys: string[], signal?: AbortSignal): Promise<Buffer[]> {
    return runJob('taskGroupGet', { signal }, (onProgress, flag) => native.taskGroupGet(this.raw, keys, onProgress, flag));
  }

  /** Tells the other ranks that this one failed; their waits fail at once with the message. */
  fail(error: unknown): void {
    if (this.closed) return;
    const message = error instanceof Error ? `${(error as { code?: string }).code ?? error.name}: ${error.message}` : String(error);
    native.taskGroupFail(this.raw, message);
  }

  /** Why the group cannot go on (another rank failed or stopped answering), or undefined. */
  problem(): CamuError | undefined {
    const problem = native.taskGroupProblem(this.raw);
    if (problem === '') return undefined;
    return new CamuError(`distributed: rank ${this.rank} of ${this.worldSize}: ${problem}`, ErrorCode.Distributed);
  }

  /**
   * Calls `onProblem` once, as soon as the group cannot go on, so that long local work (a unit, a
   * training) can be aborted without waiting for the next call here. Returns the stop function.
   */
  watch(onProblem: (error: CamuError) => void): () => void {
    const timer = setInterval(() => {
      const problem = this.closed ? undefined : this.problem();
      if (problem === undefined) return;
      clearInterval(timer);
      onProblem(problem);
    }, WATCH_MS);
    timer.unref();
    return () => clearInterval(timer);
  }

  /** Leaves the group (rank 0 serves the store until the others have left). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await native.taskGroupClose(this.raw);
  }
}

/**
 * Runs `body` with a joined group, then closes it. On failure this rank reports it to the others
 * (so that they stop at once instead of after the timeout) before rethrowing.
 */
export async function withTaskGroup<T>(
  distributed: RawDistributedOptions,
  name: string,
  signal: AbortSignal | undefined,
  body: (group: TaskGroup) => Promise<T>,
): Promise<T> {
  const group = await TaskGroup.connect(distributed, name, signal);
  try {
    return await body(group);
  } catch (error) {
    group.fail(error);
    throw error;
  } finally {
    await group.close();
  }
}

/**
 * Takes items from the group's queue `queue` over the list [0, count) and runs `work` on each,
 * `lanes` at once on this rank; stops taking after the first failure. Resolves with the indices
 * this rank ran.
 */
export async function takeEach(
  group: TaskGroup,
  queue: string,
  count: number,
  lanes: number,
  work: (index: number) => Promise<void>,
): Promise<number[]> {
  const mine: number[] = [];
  let failed = false;
  let firstError: unknown;
  const lane = async () => {
    while (!failed) {
      const index = group.take(queue);
      if (index >= count) return;
      mine.push(index);
      try {
        await work(index);
      } catch (error) {
        if (!failed) {
          failed = true;
          firstError = error;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, lanes) }, lane));
  if (failed) throw firstError;
  return mine.sort((a, b) => a - b);
}

/** Each task group name's calls so far in this process: every rank makes the same calls, so the Nth call of each rank meets under the same name. */
const groupCalls = new Map<string, number>();
export function nextGroupName(kind: string): string {
  const calls = (groupCalls.get(kind) ?? 0) + 1;
  groupCalls.set(kind, calls);
  return `${kind}#${calls}`;
}

/** The safetensors bytes of a model (through a temporary file: the addon reads and writes files). */
export async function weightBytes(model: Model, signal?: AbortSignal): Promise<Buffer> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'camu-send-'));
  try {
    const file = path.join(dir, 'model.safetensors');
    await saveWeights(model, file, { signal });
    return await fsp.readFile(file);
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
}

export async function modelFromBytes(template: CreateModelOptions, bytes: Uint8Array, signal?: AbortSignal): Promise<Model> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'camu-receive-'));
  try {
    const file = path.join(dir, 'model.safetensors');
    await fsp.writeFile(file, bytes);
    return await loadWeights(createModel(template), file, { signal });
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
}

/**
 * A signal that aborts with the caller's abort, or with the group's problem as soon as another
 * rank fails or stops answering (so that a long training stops at its next step).
 */
export function watchedSignal(group: TaskGroup, signal?: AbortSignal): { signal: AbortSignal; stop: () => void; reason: () => CamuError | undefined } {
  const controller = new AbortController();
  let problem: CamuError | undefined;
  const forward = () => controller.abort(signal?.reason);
  signal?.addEventListener('abort', forward, { once: true });
  const unwatch = group.watch((error) => {
    problem = error;
    controller.abort(error);
  });
  return {
    signal: controller.signal,
    stop: () => {
      unwatch();
      signal?.removeEventListener('abort', forward);
    },
    reason: () => problem,
  };
}

