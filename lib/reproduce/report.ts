/** The report of a results file on disk: results.md, plots/*.svg and the results page index.html. */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { CamuError, ErrorCode } from '../errors';
import { writeFileAtomic } from '../fs-atomic';
import { renderPage } from './page';
import { renderPlots } from './plots';
import { ResultsFile } from './schema';
import { renderTables } from './table';
import { validateResults } from './validate';

/**
 * Writes the Markdown tables (`results.md`), every plot (`plots/*.svg`) and the page with both
 * (`index.html`) of `results` into `directory`, each file atomically; returns the paths written.
 */
export async function writeReport(directory: string, results: ResultsFile): Promise<string[]> {
  validateResults(results, 'writeReport');
  const plotDirectory = path.join(directory, 'plots');
  try {
    await fsp.mkdir(plotDirectory, { recursive: true });
  } catch (error) {
    throw new CamuError(`cannot create ${plotDirectory}: ${(error as Error).message}`, ErrorCode.Io, { cause: error });
  }
  const plots = renderPlots(results);
  const files: { file: string; data: string }[] = [
    { file: path.join(directory, 'results.md'), data: renderTables(results) },
    ...plots.map(({ name, svg }) => ({ file: path.join(plotDirectory, name), data: svg })),
    { file: path.join(directory, 'index.html'), data: renderPage(results, plots) },
  ];
  for (const { file, data } of files) await writeFileAtomic(file, data);
  return files.map(({ file }) => file);
}
