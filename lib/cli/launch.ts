/**
 * `camu launch -n N -- <command>`: N local ranks of one camu command, each a process of its own
 * with the rendezvous variables set (lib/distributed.ts reads them). Output is forwarded line by
 * line with the rank in front; the first rank that fails stops the others, so a run never hangs
 * on a dead peer longer than it takes that rank to die.
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DistributedBackend } from '../distributed';
import { CliIo } from './output';

/** How long a rank that was asked to stop may take before it is killed. */
const STOP_GRACE_MS = 10_000;

export interface LaunchSettings {
  ranks: number;
  timeoutSeconds: number;
  threadsPerRank?: number;
  backend?: DistributedBackend;
  /** The GPUs this machine has: with at least one per rank, each rank sees only its own. */
  gpus?: number;
  command: string[];
}

/** A port that nothing on 127.0.0.1 listens on now (the kernel's pick). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Forwards `stream` to `out` a line at a time, each behind `prefix`. */
function forwardLines(stream: NodeJS.ReadableStream, out: CliIo['stdout'], prefix: string): void {
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    // Progress bars redraw with \r: each redraw is a line of its own here.
    const lines = (pending + chunk).split(/\r?\n|\r/);
    pending = lines.pop() ?? '';
    for (const line of lines) if (line !== '') out.write(`${prefix}${line}\n`);
  });
  stream.on('end', () => {
    if (pending !== '') out.write(`${prefix}${pending}\n`);
  });
}

/** The environment of local rank `rank`: `env` with the rendezvous variables and its share of the machine. */
export function rankEnvironment(settings: LaunchSettings, rank: number, port: number, threads: number, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { ranks } = settings;
  // NCCL needs one GPU per rank: rank r then sees GPU r as its only CUDA device, unless the user
  // chose the GPUs already.
  const ownGpu = (settings.gpus ?? 0) >= ranks && ranks > 1 && env.CUDA_VISIBLE_DEVICES === undefined;
  return {
    ...env,
    MASTER_ADDR: '127.0.0.1',
    MASTER_PORT: String(port),
    WORLD_SIZE: String(ranks),
    RANK: String(rank),
    LOCAL_RANK: String(rank),
    CAMU_NUM_THREADS: String(threads),
    CAMU_DISTRIBUTED_TIMEOUT: String(settings.timeoutSeconds),
    ...(settings.backend !== undefined ? { CAMU_DISTRIBUTED_BACKEND: settings.backend } : {}),
    ...(ownGpu ? { CUDA_VISIBLE_DEVICES: String(rank) } : {}),
  };
}

/** Runs the ranks; resolves with launch's exit status (0 when every rank exited 0). */
export async function launch(settings: LaunchSettings, io: CliIo): Promise<number> {
  const { ranks, command } = settings;
  const threads = settings.threadsPerRank ?? Math.max(1, Math.floor(os.availableParallelism() / ranks));
  const port = await freePort();
  const entry = path.join(__dirname, 'index.js');
  const children: ChildProcess[] = [];
  let failure: { rank: number; status: number } | undefined;
  const exits: Promise<void>[] = [];
  const running = (child: ChildProcess) => child.exitCode === null && child.signalCode === null;
  let killTimer: NodeJS.Timeout | undefined;
  // SIGINT first: a rank aborts its job as after Ctrl-C and removes any temporary file it was
  // writing; one still running after the grace period (stuck in a call that does not return) is killed.
  const stopOthers = (except: number) => {
    for (const [rank, child] of children.entries()) if (rank !== except && running(child)) child.kill('SIGINT');
    killTimer ??= setTimeout(() => {
      for (const [rank, child] of children.entries()) if (rank !== except && running(child)) child.kill('SIGKILL');
    }, STOP_GRACE_MS);
    killTimer.unref();
  };
  const onSigint = () => stopOthers(-1);
  process.on('SIGINT', onSigint);
  for (let rank = 0; rank < ranks; rank++) {
    const child = spawn(process.execPath, [entry, ...command], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: rankEnvironment(settings, rank, port, threads, process.env),
    });
    children.push(child);
    io.stderr.write(`camu launch: rank ${rank}: pid ${child.pid}\n`);
    forwardLines(child.stdout as NodeJS.ReadableStream, io.stdout, `[rank ${rank}] `);
    forwardLines(child.stderr as NodeJS.ReadableStream, io.stderr, `[rank ${rank}] `);
    exits.push(
      new Promise((resolve) => {
        child.on('error', (error) => {
          failure ??= { rank, status: 1 };
          io.stderr.write(`camu launch: rank ${rank} could not start: ${error.message}\n`);
          stopOthers(rank);
          resolve();
        });
        child.on('close', (code, signal) => {
          if (code !== 0 && failure === undefined) {
            failure = { rank, status: code ?? 1 };
            const how = signal ? `was killed by ${signal}` : `exited with status ${code}`;
            io.stderr.write(`camu launch: rank ${rank} ${how}; stopping the other ranks\n`);
            stopOthers(rank);
          }
          resolve();
        });
      }),
    );
  }
  try {
    await Promise.all(exits);
  } finally {
    process.removeListener('SIGINT', onSigint);
    if (killTimer) clearTimeout(killTimer);
  }
  return failure === undefined ? 0 : failure.status || 1;
}
