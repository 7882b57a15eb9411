/**
 * Storage of results files: read and validated, opened for a reproduction to start or resume
 * (merging the selections of an interrupted run), and written atomically after validation.
 */
import { promises as fsp } from 'node:fs';
import { CamuError, ErrorCode } from '../errors';
import { writeFileAtomic } from '../fs-atomic';
import { readRegularFile } from '../fs-read';
import { newResults } from './runs';
import { JsonValue, ResultsFile, ResultsHeader, ResultsSettings } from './schema';
import { validateResults } from './validate';

/** Reads and validates a results file. Missing or unreadable files are ERR_CAMU_IO, bad contents ERR_CAMU_FORMAT. */
export async function readResults(file: string): Promise<ResultsFile> {
  let text: string;
  try {
    text = await readRegularFile(file);
  } catch (error) {
    throw new CamuError(`cannot read results file ${file}: ${(error as Error).message}`, ErrorCode.Io, { cause: error });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new CamuError(`${file}: not a valid camu results file: not JSON (${(error as Error).message})`, ErrorCode.Format, { cause: error });
  }
  return validateResults(value, file);
}

/** JSON with object keys sorted, so that equal values compare equal as text. */
function canonical(value: JsonValue): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonical(value[key])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function union<T>(first: readonly T[], second: readonly T[]): T[] {
  return [...first, ...second.filter((item) => !first.includes(item))];
}

const SELECTIONS = ['datasets', 'scenarios', 'seeds', 'methods'];
const ENVIRONMENT = ['camuVersion', 'libtorchVersion', 'device', 'threads', 'gitCommit'] as const;

/**
 * Starts or resumes a reproduction. Without a file at `file`, a new results file with no runs.
 * With one, its runs are kept when it was made by the same environment (camu version, libtorch
 * version, device, threads, git commit) and the same settings apart from the selections
 * (datasets, scenarios, seeds, methods), which become the union of both; otherwise a CamuError
 * (ERR_CAMU_STATE) names what differs, since mixing them would make the seeds incomparable.
 * Nothing is written.
 */
export async function openResults(file: string, header: ResultsHeader): Promise<ResultsFile> {
  const fresh = newResults(header);
  try {
    await fsp.stat(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return fresh;
  }
  const existing = await readResults(file);
  const differences: string[] = [];
  for (const field of ENVIRONMENT) {
    if (existing[field] !== fresh[field]) {
      differences.push(`${field} ${JSON.stringify(existing[field])} there, ${JSON.stringify(fresh[field])} now`);
    }
  }
  const options = new Set([...Object.keys(existing.settings), ...Object.keys(fresh.settings)]);
  for (const option of options) {
    if (SELECTIONS.includes(option)) continue;
    const before = canonical(existing.settings[option] ?? null);
    const now = canonical(fresh.settings[option] ?? null);
    if (before !== now) differences.push(`settings.${option} ${before} there, ${now} now`);
  }
  for (const [key, split] of Object.entries(fresh.splits)) {
    const before = existing.splits[key];
    if (before !== undefined && before !== split) differences.push(`split ${key} ${before} there, ${split} now`);
  }
  if (differences.length > 0) {
    throw new CamuError(
      `cannot resume ${file}: it was made differently (${differences.join('; ')}); ` +
        'write the results to another file or remove this one',
      ErrorCode.State,
    );
  }
  const settings: ResultsSettings = { ...existing.settings };
  for (const option of SELECTIONS) {
    settings[option] = union(existing.settings[option] as JsonValue[], fresh.settings[option] as JsonValue[]);
  }
  return validateResults({ ...existing, settings, splits: { ...existing.splits, ...fresh.splits } }, file);
}

/** Validates and writes a results file atomically (2-space JSON, trailing newline). */
export async function writeResults(file: string, results: ResultsFile): Promise<void> {
  validateResults(results, file);
  await writeFileAtomic(file, `${JSON.stringify(results, null, 2)}\n`);
}
