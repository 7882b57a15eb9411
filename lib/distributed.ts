/**
 * Data-parallel work across processes and machines (docs/distributed.md): each rank is a Node
 * process; ranks meet through a TCP store served by rank 0 and all-reduce gradients over Gloo, or
 * NCCL for CUDA models where the build has it. The rendezvous comes from explicit options or from
 * the usual variables (MASTER_ADDR, MASTER_PORT, WORLD_SIZE, RANK), which `camu launch` sets.
 */
import { CamuError, ErrorCode } from './errors';
import { invalidArgType, isObject } from './is';
import type { RawDistributedOptions } from './native';

export interface DistributedOptions {
  /** Rank 0's address (default 127.0.0.1). */
  masterAddr?: string;
  /** The port rank 0's store listens on (default 29500). */
  masterPort?: number;
  /** How many ranks take part. */
  worldSize: number;
  /** This process's rank in [0, worldSize). */
  rank: number;
  /** How long the rendezvous and each collective wait for the other ranks, in seconds (default 300). */
  timeoutSeconds?: number;
  /** Check every this many steps that all ranks hold the same weights and optimiser state (default 0: only at the end). */
  checkEvery?: number;
  /**
   * The collectives' backend (default 'auto': NCCL for a model on CUDA where `info().distributed.backends`
   * lists it, else Gloo).
   */
  backend?: DistributedBackend;
}

export type DistributedBackend = 'auto' | 'gloo' | 'nccl';
export const BACKENDS: readonly DistributedBackend[] = ['auto', 'gloo', 'nccl'];

function integerVariable(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const text = env[name];
  if (text === undefined || text === '') return undefined;
  if (!/^\d+$/.test(text)) {
    throw new CamuError(`${name} must be a non-negative whole number, got '${text}'`, ErrorCode.InvalidArgValue);
  }
  return Number(text);
}

/**
 * The rendezvous from MASTER_ADDR, MASTER_PORT, WORLD_SIZE and RANK (and CAMU_DISTRIBUTED_TIMEOUT
 * in seconds, CAMU_DISTRIBUTED_BACKEND); undefined when WORLD_SIZE is unset or 1: one process.
 */
export function distributedFromEnv(env: NodeJS.ProcessEnv = process.env): DistributedOptions | undefined {
  const worldSize = integerVariable(env, 'WORLD_SIZE');
  if (worldSize === undefined || worldSize <= 1) return undefined;
  const rank = integerVariable(env, 'RANK');
  if (rank === undefined) throw new CamuError('WORLD_SIZE is set but RANK is not', ErrorCode.InvalidArgValue);
  const timeout = env.CAMU_DISTRIBUTED_TIMEOUT;
  const timeoutSeconds = timeout === undefined || timeout === '' ? undefined : Number(timeout);
  if (timeoutSeconds !== undefined && !(timeoutSeconds > 0)) {
    throw new CamuError(`CAMU_DISTRIBUTED_TIMEOUT must be a positive number of seconds, got '${timeout}'`, ErrorCode.InvalidArgValue);
  }
  const backend = env.CAMU_DISTRIBUTED_BACKEND || undefined;
  if (backend !== undefined && !(BACKENDS as readonly string[]).includes(backend)) {
    throw new CamuError(`CAMU_DISTRIBUTED_BACKEND must be one of ${BACKENDS.join(', ')}, got '${backend}'`, ErrorCode.InvalidArgValue);
  }
  return {
    masterAddr: env.MASTER_ADDR || undefined,
    masterPort: integerVariable(env, 'MASTER_PORT'),
    worldSize,
    rank,
    timeoutSeconds,
    backend: backend as DistributedBackend | undefined,
  };
}

/** The binding's options for `option` ('env': the variables; undefined when that means one process). */
export function resolveDistributed(option: DistributedOptions | 'env' | undefined, fn: string): RawDistributedOptions | undefined {
  if (option === undefined) return undefined;
  const resolved = option === 'env' ? distributedFromEnv() : option;
  if (resolved === undefined) return undefined;
  if (!isObject(resolved)) throw invalidArgType(`${fn}: options.distributed must be an object or 'env'`);
  return { ...resolved };
}

/** Whether this process writes outputs: rank 0, or the only process. */
export function isWritingRank(option: DistributedOptions | 'env' | undefined): boolean {
  const resolved = option === 'env' ? distributedFromEnv() : option;
  return resolved === undefined || resolved.rank === 0;
}
