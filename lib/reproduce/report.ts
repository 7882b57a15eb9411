/** The report of a results file on disk: results.md and plots/*.svg. */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { CamuError, ErrorCode } from '../errors';
import { writeFileAtomic } from '../fs-atomic';
import { renderPlots } from './plots';
import { ResultsFile } from './schema';
import { renderTables } from './table';
import { validateResults } from './validate';

/**
 * Writes the Markdown tables (`results.md`) and every plot (`plots/*.svg`) of `results` into
 * `directory`, each file atomically; returns the paths written.
 */
export async function writeReport(directory: string, results: ResultsFile): Promise<string[]> {
  validateResults(results, 'writeReport');
  const plotDirectory = path.join(directory, 'plots');
  try {
    await fsp.mkdir(plotDirectory, { recursive: true });
  } catch (error) {
    throw new CamuError(`cannot create ${plotDirectory}: ${(error as Error).message}`, ErrorCode.Io, { cause: error });
  }
  const files: { file: string; data: string }[] = [
    { file: path.join(directory, 'results.md'), data: renderTables(results) },
    ...renderPlots(results).map(({ name, svg }) => ({ file: path.join(plotDirectory, name), data: svg })),
  ];
  for (const { file, data } of files) await writeFileAtomic(file, data);
  return files.map(({ file }) => file);
}
