/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    // Type checking is `npm run build:ts`'s job (tsc); tests only transpile, which is much faster.
    '^.+\\.ts$': ['ts-jest', { isolatedModules: true }],
  },
  testTimeout: 120000,
  // Native work is CPU-bound on a 2-core machine: one test file at a time keeps timings sane.
  maxWorkers: 1,
};
