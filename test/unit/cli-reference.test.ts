/**
 * docs/cli.md's reference is generated from the command line's declarations (lib/cli/spec.ts):
 * this fails when the file is out of date with them (`npm run build:ts && node scripts/update-docs.js`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cliReference } from '../../lib/cli/reference';
import { COMMANDS, flagWithValue, methodOptions } from '../../lib/cli/spec';
import { methodDescriptors } from '../../lib/unlearn/methods';
import { packageRoot } from '../helpers/paths';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { replaceSection } = require('../../scripts/update-docs.js') as {
  replaceSection(text: string, name: string, body: string): string;
};

test('docs/cli.md holds the reference of the current declarations', () => {
  const text = fs.readFileSync(path.join(packageRoot, 'docs', 'cli.md'), 'utf8');
  expect(replaceSection(text, 'cli', cliReference())).toBe(text);
  // The hand-written part above it is there too.
  expect(text.indexOf('## Exit status')).toBeLessThan(text.indexOf('<!-- generated: cli -->'));
});

test('the reference has every command, option and example', () => {
  const reference = cliReference();
  const flag = (option: Parameters<typeof flagWithValue>[0]) => `\`${flagWithValue(option).replace(/\|/g, '\\|')}\``;
  for (const command of COMMANDS) {
    expect(reference).toContain(`### camu ${command.name}\n`);
    expect(reference).toContain(`\n${command.example}\n`);
    for (const option of command.options) expect(reference).toContain(`| ${flag(option)} |`);
  }
  for (const method of methodDescriptors()) {
    expect(reference).toContain(`#### \`--method ${method.name}\``);
    for (const option of methodOptions(method)) expect(reference).toContain(`| ${flag(option)} | \`${String(option.default)}\` |`);
  }
  expect(reference).toContain('| `--epochs <N>` | `20` | training epochs |');
  expect(reference).toContain('| `--out <FILE>` | required |');
});
