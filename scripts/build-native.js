#!/usr/bin/env node
// Builds the native addon with cmake-js into build-native/ (the CMake tree); the addon itself
// lands in build/Release/camu.node, the first place the loader looks (lib/native/loader.ts).
//
// libtorch is found by CMake (cmake/FindCamuTorch.cmake): LIBTORCH / Torch_DIR / CMAKE_PREFIX_PATH,
// then a Python torch (CAMU_PYTHON or python3), then the system package.
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const os = require('node:os');

const root = path.resolve(__dirname, '..');
const cmakeJs = require.resolve('cmake-js/bin/cmake-js');
const buildDir = process.env.CAMU_BUILD_DIR || path.join(root, 'build-native');
const jobs = String(process.env.CAMU_BUILD_JOBS || Math.max(1, os.availableParallelism()));

const args = [cmakeJs, 'compile', '--out', buildDir, '--parallel', jobs];
if (process.env.CAMU_DEBUG_BUILD) args.push('--debug');
// The folder that receives camu.node: build/Release, or CAMU_ADDON_DIR (scripts/package.js). Passed
// every time, since CMake would otherwise keep a previous build's choice in its cache.
const addonDir = path.resolve(process.env.CAMU_ADDON_DIR || path.join(root, 'build', 'Release'));
args.push(`--CDCAMU_ADDON_DIR=${addonDir}`);
const result = spawnSync(process.execPath, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
if (result.error) throw result.error;
if (result.status !== 0) {
  process.stderr.write(`camu: native build failed (cmake-js exited ${result.status}); see the CMake output above.\n`);
  process.exit(result.status || 1);
}
