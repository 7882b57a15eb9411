/**
 * Usage errors of the `camu` command line: a bad flag, a missing one, a value that cannot be
 * parsed. They exit with status 2 (1 is for a command that failed while working), and an
 * unknown flag comes with the nearest known one.
 */
import { parseArgs, ParseArgsConfig } from 'node:util';
import { ErrorCode } from '../errors';

export class UsageError extends RangeError {
  readonly code = ErrorCode.Usage;

  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Edit distance (insertions, deletions, substitutions) between two short strings. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; ++i) {
    const current = [i];
    for (let j = 1; j <= b.length; ++j) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

/** The known flag nearest to `flag` ('--epoch' -> '--epochs'), if one is close enough to be a typo. */
export function nearestFlag(flag: string, known: readonly string[]): string | undefined {
  const name = flag.replace(/^-+/, '');
  let best: { option: string; distance: number } | undefined;
  for (const option of known) {
    const distance = editDistance(name, option);
    if (!best || distance < best.distance) best = { option, distance };
  }
  return best && best.distance <= Math.max(1, Math.floor(name.length / 3)) ? `--${best.option}` : undefined;
}

/** node:util parseArgs, with its errors as UsageErrors and a suggestion for an unknown flag. */
export function parseCommandArgs<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (error) {
    const { code, message } = error as Error & { code?: string };
    if (!code?.startsWith('ERR_PARSE_ARGS')) throw error;
    const unknown = code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? /'(-[^']*)'/.exec(message)?.[1] : undefined;
    const suggestion = unknown === undefined ? undefined : nearestFlag(unknown, Object.keys(config.options ?? {}));
    // Node's message ends with advice on '--' positionals, which camu takes none of.
    const first = message.split('. To specify')[0];
    throw new UsageError(suggestion ? `${first}; did you mean ${suggestion}?` : first);
  }
}
