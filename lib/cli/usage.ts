/**
 * Usage errors of the `camu` command line: a bad flag or config key, a missing one, a value that
 * cannot be parsed. They exit with status 2 (1 is for a command that failed while working), and a
 * mistyped name comes with the nearest known one.
 */
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

/** The candidate nearest to `word` ('epoch' -> 'epochs'), if one is close enough to be a typo. */
export function nearest(word: string, candidates: readonly string[]): string | undefined {
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(word, candidate);
    if (!best || distance < best.distance) best = { candidate, distance };
  }
  return best && best.distance <= Math.max(1, Math.floor(word.length / 3)) ? best.candidate : undefined;
}

/** 'a', 'a or b', 'a, b or c'. */
export function alternatives(items: readonly string[]): string {
  return items.length > 1 ? `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}` : items.join('');
}
