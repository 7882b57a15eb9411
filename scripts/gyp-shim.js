#!/usr/bin/env node
// Run by binding.gyp at configure time. Prints nothing on stdout (gyp reads it as a source list);
// logs go to stderr. Exits non-zero if the build fails, which fails node-gyp with our message.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const log = (message) => process.stderr.write(`camu: ${message}\n`);

function loadablePrebuild() {
  const dir = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);
  let names = [];
  try {
    names = fs.readdirSync(dir).filter((name) => name.endsWith('.node'));
  } catch {
    return undefined;
  }
  for (const name of names) {
    const file = path.join(dir, name);
    // In a child process: a binary that cannot load must not take this process down with it.
    const probe = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(file)})`], { stdio: 'ignore' });
    if (probe.status === 0) return file;
  }
  return undefined;
}

const forced = process.env.npm_config_build_from_source === 'true' || Boolean(process.env.CAMU_FORCE_BUILD);
const prebuild = forced ? undefined : loadablePrebuild();
if (prebuild) {
  log(`using the prebuilt binary ${path.relative(root, prebuild)}; nothing to build`);
  process.exit(0);
}
const result = spawnSync(process.execPath, [path.join(__dirname, 'build-native.js')], {
  cwd: root,
  stdio: ['ignore', process.stderr, process.stderr],
});
process.exit(result.status === null ? 1 : result.status);
