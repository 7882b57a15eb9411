/**
 * docs/cli.md's reference is generated from the command line's declarations (lib/cli/spec.ts):
 * this fails when the file is out of date with them (`npm run build:ts && npm run docs:cli`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cliReference, REFERENCE_MARKER, updateReference } from '../../lib/cli/reference';
import { COMMANDS, flagWithValue, methodOptions } from '../../lib/cli/spec';
import { methodDescriptors } from '../../lib/unlearn/methods';
import { packageRoot } from '../helpers/paths';

const file = path.join(packageRoot, 'docs', 'cli.md');

test('docs/cli.md is up to date with the declarations', () => {
  const current = fs.readFileSync(file, 'utf8');
  const generated = current.slice(current.indexOf(REFERENCE_MARKER) + REFERENCE_MARKER.length);
  // Stale: run `npm run build:ts && npm run docs:cli`.
  expect(generated).toBe(`\n\n${cliReference()}`);
});

test('the reference has every command, option and example; the text above the marker is kept', () => {
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
  expect(updateReference(`# Intro\n\nhand-written\n\n${REFERENCE_MARKER}\nstale\n`)).toBe(`# Intro\n\nhand-written\n\n${REFERENCE_MARKER}\n\n${reference}`);
  expect(() => updateReference('# no marker\n')).toThrow(/has no line/);
});
