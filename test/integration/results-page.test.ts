/**
 * The results page (index.html) in headless Chromium: every table and plot renders, sorting
 * works, nothing is logged as an error or fetched, and a screenshot is kept in test-artifacts/.
 * The results are a real MNIST run (test/fixtures/results-page.json: seeds 0-1, four methods,
 * numbers rounded) plus reduced CIFAR-10 rows made here from them. Needs Chromium (Debian's
 * `chromium`, or CAMU_CHROMIUM): without it the test fails under CI and is skipped elsewhere.
 */
// The page callbacks below run in Chromium, on its DOM.
/// <reference lib="dom" />
import { promises as fsp } from 'node:fs';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { renderPlots } from '../../lib/reproduce/plots';
import { writeReport } from '../../lib/reproduce/report';
import { ResultsFile } from '../../lib/reproduce/schema';
import { checksTableData, extraTableData, paperTableData, Table } from '../../lib/reproduce/table';
import { validateResults } from '../../lib/reproduce/validate';
import { fixturesDir, packageRoot } from '../helpers/paths';

interface Driver {
  findChromium(): string | null;
  openPage(file: string, executablePath?: string | null): Promise<{ browser: Browser; page: Page; problems: string[] }>;
  screenshot(page: Page, out: string): Promise<void>;
}
const driver = require('../../scripts/results-page-browser.js') as Driver;

const ARTIFACTS = path.join(packageRoot, 'test-artifacts');
const chromium = driver.findChromium();

/** The fixture with the seed-0 class-removal runs again as reduced CIFAR-10 (--train-subset 500). */
function results(): ResultsFile {
  const file = JSON.parse(fs.readFileSync(path.join(fixturesDir, 'results-page.json'), 'utf8')) as ResultsFile;
  const reduced = file.runs
    .filter((run) => run.scenario === 'class' && run.seed === 0)
    .map((run) => ({ ...run, dataset: 'cifar10' as const, reduced: true }));
  return validateResults({
    ...file,
    settings: { ...file.settings, datasets: ['mnist', 'cifar10'], trainSubset: 500 },
    runs: [...file.runs, ...reduced],
  });
}

if (chromium === null) {
  const why = 'no Chromium: apt-get install chromium, or set CAMU_CHROMIUM to its executable';
  if (process.env.CI) {
    test('the results page needs Chromium under CI', () => {
      throw new Error(why);
    });
  } else {
    console.warn(`test/integration/results-page.test.ts skipped: ${why}`);
    test.skip(`results page in headless Chromium skipped: ${why}`, () => {});
  }
} else {
  describe('the results page in headless Chromium', () => {
    const data = results();
    let directory: string;
    let browser: Browser;
    let page: Page;
    let problems: string[];

    beforeAll(async () => {
      directory = await fsp.mkdtemp(path.join(os.tmpdir(), 'camu-page-'));
      await writeReport(directory, data);
      ({ browser, page, problems } = await driver.openPage(path.join(directory, 'index.html'), chromium));
    });
    afterAll(async () => {
      await browser?.close();
      await fsp.rm(directory, { recursive: true, force: true });
    });

    /** Rows and header cells of a table on the page that have a box (rendered, not display: none). */
    const shown = (id: string) =>
      page.$eval(`#${id}`, (table) => {
        const boxed = (element: Element) => {
          const box = element.getBoundingClientRect();
          return box.width > 0 && box.height > 0;
        };
        return {
          rows: Array.from((table as HTMLTableElement).tBodies[0].rows).filter(boxed).length,
          headers: Array.from((table as HTMLTableElement).tHead!.rows[0].cells).filter(boxed).length,
        };
      });

    test('every table renders every row and column the data has', async () => {
      const tables: [string, Table | null][] = [
        ['paper-table', paperTableData(data)],
        ['extra-table', extraTableData(data)],
        ['checks-table', checksTableData(data)],
      ];
      for (const [id, table] of tables) {
        expect(table).not.toBeNull();
        expect(await shown(id)).toEqual({ rows: table!.rows.length, headers: table!.columns.length });
      }
      // 2 scenarios x 4 methods of MNIST and the 4 reduced CIFAR-10 rows.
      expect(paperTableData(data).rows).toHaveLength(12);
      expect(await page.$$eval('table', (tables) => tables.length)).toBe(3);
    });

    test('every plot renders with a box and its marks', async () => {
      const plots = renderPlots(data);
      expect(plots.filter((plot) => plot.kind === 'relearn')).toHaveLength(3);
      const svgs = await page.$$eval('svg', (elements) =>
        elements.map((svg) => {
          const box = svg.getBoundingClientRect();
          return { width: box.width, height: box.height, marks: svg.querySelectorAll('rect.bar, polyline.line').length };
        }),
      );
      expect(svgs).toHaveLength(plots.length);
      for (const svg of svgs) {
        expect(svg.width).toBeGreaterThan(100);
        expect(svg.height).toBeGreaterThan(100);
        expect(svg.marks).toBeGreaterThan(0);
      }
    });

    test('reduced rows say why', async () => {
      const reasons = await page.$$eval('#paper-table tr.reduced .why', (spans) => spans.map((span) => span.textContent));
      expect(reasons).toHaveLength(4);
      for (const reason of reasons) {
        expect(reason).toBe("reduced: camu's reduced CPU setting for CIFAR: the first 500 training images (--train-subset 500) at 32 px, resnet18-cifar");
      }
    });

    test('a click on a header sorts by that column, numbers numerically, empty cells last', async () => {
      const column = await page.$$eval('#paper-table thead th', (headers) => headers.findIndex((th) => th.textContent === 'time (s)'));
      expect(column).toBeGreaterThan(0);
      const values = () =>
        page.$$eval(`#paper-table tbody tr td:nth-child(${column + 1})`, (cells) => cells.map((cell) => (cell as HTMLElement).dataset.sort));
      const header = `#paper-table thead th:nth-child(${column + 1})`;
      const numbers = (sorted: (string | undefined)[]) => sorted.filter((value) => value !== '').map(Number);

      await page.click(`${header} button`);
      const ascending = await values();
      expect(await page.$eval(header, (th) => th.getAttribute('aria-sort'))).toBe('ascending');
      expect(numbers(ascending)).toEqual([...numbers(ascending)].sort((a, b) => a - b));
      // The original model has no time: its rows go last.
      expect(ascending.slice(-3)).toEqual(['', '', '']);

      await page.click(`${header} button`);
      const descending = await values();
      expect(await page.$eval(header, (th) => th.getAttribute('aria-sort'))).toBe('descending');
      expect(numbers(descending)).toEqual([...numbers(ascending)].reverse());
      expect(descending.slice(-3)).toEqual(['', '', '']);

      await page.click('#paper-table thead th:nth-child(3) button');
      const methods = await page.$$eval('#paper-table tbody tr td:nth-child(3)', (cells) => cells.map((cell) => cell.textContent as string));
      expect(methods).toEqual([...methods].sort((a, b) => a.localeCompare(b)));
    });

    test('no console errors, no exceptions, no requests; a screenshot', async () => {
      await fsp.mkdir(ARTIFACTS, { recursive: true });
      const out = path.join(ARTIFACTS, 'results-page.png');
      await driver.screenshot(page, out);
      const png = await fsp.readFile(out);
      expect(png.subarray(1, 4).toString()).toBe('PNG');
      expect(problems).toEqual([]);
    });
  });
}
