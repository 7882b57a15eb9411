#!/usr/bin/env node
/** The camu command line. Each command lives in its own function; `camu help` lists them. */
import { parseArgs } from 'node:util';
import { CamuError, info, measureThroughput } from '../index';
import { ProgressReporter } from '../reproduce/progress';

interface Command {
  summary: string;
  usage: string;
  run(args: string[]): Promise<void>;
}

function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

const commands: Record<string, Command> = {
  info: {
    summary: 'versions, build variant, CUDA devices, threads, XGBoost support',
    usage: 'camu info',
    async run(args) {
      parseArgs({ args, options: {} });
      const { parallelism, ...about } = info();
      printJson(about);
      void parallelism;
    },
  },
  throughput: {
    summary: "this machine's dense GFLOP/s through the linked libtorch",
    usage: 'camu throughput [--op matmul|conv] [--size N] [--iterations N]',
    async run(args) {
      const { values } = parseArgs({
        args,
        options: { op: { type: 'string', default: 'matmul' }, size: { type: 'string' }, iterations: { type: 'string' } },
      });
      if (values.op !== 'matmul' && values.op !== 'conv') throw new RangeError(`--op must be matmul or conv, got ${values.op}`);
      const controller = new AbortController();
      process.once('SIGINT', () => controller.abort());
      const progress = new ProgressReporter({ label: values.op });
      try {
        const result = await measureThroughput({
          op: values.op,
          size: values.size === undefined ? undefined : parseInteger(values.size, '--size'),
          iterations: values.iterations === undefined ? undefined : parseInteger(values.iterations, '--iterations'),
          signal: controller.signal,
          onProgress: progress.update,
        });
        printJson(result);
      } finally {
        progress.close();
      }
    },
  },
};

export function parseInteger(text: string, flag: string): number {
  const value = Number(text);
  if (!Number.isInteger(value)) throw new RangeError(`${flag} must be an integer, got '${text}'`);
  return value;
}

function help(): string {
  const lines = ['Usage: camu <command> [options]', '', 'Commands:'];
  for (const [name, command] of Object.entries(commands)) lines.push(`  ${name.padEnd(12)} ${command.summary}`);
  lines.push('', 'camu <command> --help shows a command\'s options.');
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(`${help()}\n`);
    return 0;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`camu: unknown command '${name}'\n\n${help()}\n`);
    return 2;
  }
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`Usage: ${command.usage}\n`);
    return 0;
  }
  try {
    await command.run(args);
    return 0;
  } catch (error) {
    const e = error as Error & { code?: string };
    const code = e instanceof CamuError || e.code ? ` [${e.code}]` : '';
    process.stderr.write(`camu ${name}: ${e.message}${code}\n`);
    return e.name === 'AbortError' ? 130 : 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((status) => {
    process.exitCode = status;
  });
}
