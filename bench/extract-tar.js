#!/usr/bin/env node
/**
 * extractTarGz on a CIFAR-sized archive: what cifar-10-binary.tar.gz holds (five train batches and
 * a test batch of 10000 records, 30.7 MB each), pseudo-random so that it does not compress (about
 * 185 MB, the real archive is 170 MB). The archive is made once, with the system's tar, in DIR.
 * Prints one JSON line with each extraction's seconds and their median.
 *   npm run build:ts && node bench/extract-tar.js [REPEATS (3)] [DIR (<tmp>/camu-bench-tar)]
 */
const { execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const camu = require('../dist');

const RECORD_BYTES = 1 + 3 * 32 * 32;
const FILES = ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin', 'test_batch.bin'];

function makeArchive(dir) {
  const archive = path.join(dir, 'cifar-10-binary.tar.gz');
  if (fs.existsSync(archive)) return archive;
  const source = path.join(dir, 'source');
  const batches = path.join(source, 'cifar-10-batches-bin');
  fs.mkdirSync(batches, { recursive: true });
  for (const file of FILES) fs.writeFileSync(path.join(batches, file), crypto.randomBytes(10000 * RECORD_BYTES));
  execFileSync('tar', ['-czf', `${archive}.part`, '-C', source, 'cifar-10-batches-bin']);
  fs.renameSync(`${archive}.part`, archive);
  fs.rmSync(source, { recursive: true });
  return archive;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main() {
  const repeats = Number(process.argv[2] ?? 3);
  const dir = process.argv[3] ?? path.join(os.tmpdir(), 'camu-bench-tar');
  fs.mkdirSync(dir, { recursive: true });
  const archive = makeArchive(dir);
  const seconds = [];
  for (let r = 0; r < repeats; r++) {
    const out = fs.mkdtempSync(path.join(dir, 'out-'));
    const started = process.hrtime.bigint();
    await camu.extractTarGz(archive, out);
    seconds.push(Number(process.hrtime.bigint() - started) / 1e9);
    fs.rmSync(out, { recursive: true });
  }
  console.log(JSON.stringify({ archiveBytes: fs.statSync(archive).size, seconds, median: median(seconds) }));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
