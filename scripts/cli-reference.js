#!/usr/bin/env node
// Rewrites the generated part of docs/cli.md (below its marker line) from the command line's
// declarations, as built in dist/ (npm run build:ts first). With --check it writes nothing and
// exits 1 when the file is out of date.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { updateReference } = require('../dist/cli/reference');

const file = path.join(__dirname, '..', 'docs', 'cli.md');
const current = fs.readFileSync(file, 'utf8');
const updated = updateReference(current);
if (process.argv.includes('--check')) {
  if (updated !== current) {
    console.error('docs/cli.md is out of date: run npm run build:ts && npm run docs:cli');
    process.exit(1);
  }
} else if (updated !== current) {
  fs.writeFileSync(file, updated);
  console.log('docs/cli.md updated');
}
