#!/usr/bin/env node
// Makes prebuilds/<platform>-<arch>/camu.napi.node with prebuildify (which drives node-gyp, and
// through binding.gyp the cmake-js build), plus the camu.build.json the loader reads on failure.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const env = { ...process.env, CAMU_FORCE_BUILD: '1' };
// node-gyp would try to download Node's headers; point it at this Node's own when they exist.
const nodePrefix = path.resolve(path.dirname(process.execPath), '..');
if (!env.npm_config_nodedir && fs.existsSync(path.join(nodePrefix, 'include', 'node', 'node_api.h'))) {
  env.npm_config_nodedir = nodePrefix;
}
const prebuildify = require.resolve('prebuildify/bin.js');
const result = spawnSync(process.execPath, [prebuildify, '--napi', '--strip'], {
  cwd: root,
  env,
  stdio: 'inherit',
});
if (result.status !== 0) process.exit(result.status || 1);
const target = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);
const release = path.join(root, 'build', 'Release');
fs.copyFileSync(path.join(release, 'camu.build.json'), path.join(target, 'camu.build.json'));
// prebuildify moves the binary out of build/Release; put a copy back so a local checkout keeps
// loading the same file path (the loader prefers build/Release) before and after.
const built = fs.readdirSync(target).find((name) => name.endsWith('.node'));
if (built && !fs.existsSync(path.join(release, 'camu.node'))) {
  fs.copyFileSync(path.join(target, built), path.join(release, 'camu.node'));
}
process.stderr.write(`camu: prebuild ready in ${path.relative(root, target)}: ${fs.readdirSync(target).join(', ')}\n`);
