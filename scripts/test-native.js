#!/usr/bin/env node
// Builds and runs the C++ core's own tests (native/tests, GoogleTest) without Node in the loop:
// the camu_core_tests target of the CMake tree that `npm run build:native` configured.
// Without GoogleTest (Debian: libgtest-dev) the target does not exist: this says so and exits 1,
// unless CAMU_NATIVE_TESTS_OPTIONAL=1, where it skips (exit 0) with the same message.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const buildDir = process.env.CAMU_BUILD_DIR || path.join(root, 'build-native');
const jobs = String(process.env.CAMU_BUILD_JOBS || Math.max(1, os.availableParallelism()));

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', ...options });
  if (result.error) throw result.error;
  return result.status;
}

if (!fs.existsSync(path.join(buildDir, 'CMakeCache.txt'))) {
  process.stderr.write(`camu: no native build in ${buildDir}; run \`npm run build:native\` first.\n`);
  process.exit(1);
}
const cache = fs.readFileSync(path.join(buildDir, 'CMakeCache.txt'), 'utf8');
if (!/^GTest_DIR:PATH=(?!GTest_DIR-NOTFOUND).+$/m.test(cache)) {
  const message = 'camu: GoogleTest was not found when the native build was configured, so there are no core tests to run.\n' +
    '     Install it (Debian/Ubuntu: sudo apt-get install libgtest-dev), then `npm run build:native` again.\n';
  process.stderr.write(message);
  process.exit(process.env.CAMU_NATIVE_TESTS_OPTIONAL === '1' ? 0 : 1);
}
const built = run('cmake', ['--build', buildDir, '--target', 'camu_core_tests', '--parallel', jobs]);
if (built !== 0) process.exit(built);
// The process tuning stays on: the core tests check that it applied (native/tests/core_test.cc).
const env = { ...process.env };
delete env.CAMU_PROCESS_TUNING;
process.exit(run(path.join(buildDir, 'camu_core_tests'), process.argv.slice(2), { env }));
