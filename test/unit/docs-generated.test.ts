/**
 * The generated sections of docs/ match the code they are generated from (scripts/update-docs.js):
 * a metric added to the catalogue without `node scripts/update-docs.js` fails here.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { METRIC_KEYS, metricsReferenceTable } from '../../lib/metrics/catalogue';
import { packageRoot } from '../helpers/paths';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { replaceSection } = require('../../scripts/update-docs.js') as {
  replaceSection(text: string, name: string, body: string): string;
};

test('docs/metrics.md holds the current metric catalogue', () => {
  const text = fs.readFileSync(path.join(packageRoot, 'docs', 'metrics.md'), 'utf8');
  expect(replaceSection(text, 'metrics', metricsReferenceTable())).toBe(text);
  for (const key of METRIC_KEYS) expect(text).toContain(`| \`${key}\` |`);
});

test('a section without its markers is an error, not a silent no-op', () => {
  expect(() => replaceSection('no markers here', 'metrics', 'x')).toThrow(/markers of section 'metrics'/);
  expect(replaceSection('a<!-- generated: s -->\nold\n<!-- end generated: s -->b', 's', 'new')).toBe(
    'a<!-- generated: s -->\nnew\n<!-- end generated: s -->b',
  );
});
