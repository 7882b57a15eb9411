#!/usr/bin/env node
// Rewrites the generated sections of docs/ from the code they describe, so each fact has one
// source: a section runs from `<!-- generated: NAME -->` to `<!-- end generated: NAME -->`.
// Run after `npm run build:ts`; test/unit/docs-generated.test.ts fails while a section is stale.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');

/** NAME -> [file, () => Markdown]. */
const SECTIONS = {
  metrics: ['docs/metrics.md', () => require(path.join(root, 'dist', 'metrics', 'catalogue.js')).metricsReferenceTable()],
  cli: ['docs/cli.md', () => require(path.join(root, 'dist', 'cli', 'reference.js')).cliReference()],
};

/** `text` with section `name` replaced by `body`; throws when the markers are missing. */
function replaceSection(text, name, body) {
  const begin = `<!-- generated: ${name} -->`;
  const end = `<!-- end generated: ${name} -->`;
  const from = text.indexOf(begin);
  const to = text.indexOf(end);
  if (from < 0 || to < from) throw new Error(`the markers of section '${name}' are missing`);
  return `${text.slice(0, from + begin.length)}\n${body}\n${text.slice(to)}`;
}

module.exports = { SECTIONS, replaceSection };

if (require.main === module) {
  for (const [name, [file, render]] of Object.entries(SECTIONS)) {
    const full = path.join(root, file);
    const before = fs.readFileSync(full, 'utf8');
    const after = replaceSection(before, name, render());
    if (after !== before) {
      fs.writeFileSync(full, after);
      console.log(`updated ${file} (${name})`);
    }
  }
}
