#!/usr/bin/env node
// Removes compiled files in dist/ whose TypeScript source in lib/ is gone: tsc never deletes
// outputs, and `npm pack` ships all of dist/. The generated files (the ES module entry, MNIST) stay.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const dist = path.join(root, 'dist');
const COMPILED = /\.(js|d\.ts|js\.map)$/;
const GENERATED = new Set(['index.mjs', 'index.d.mts']);

function sweep(dir) {
  let entries;
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      sweep(file);
      if (fs.readdirSync(file).length === 0) fs.rmdirSync(file);
      continue;
    }
    if (GENERATED.has(path.relative(dist, file)) || !COMPILED.test(entry.name)) continue;
    const source = path.join(root, 'lib', path.relative(dist, file)).replace(COMPILED, '.ts');
    if (!fs.existsSync(source)) fs.rmSync(file);
  }
}

sweep(dist);
