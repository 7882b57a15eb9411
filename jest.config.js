/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  // Every tier under test/ (unit, native, integration, conformance; test/README.md): `npx jest`
  // runs them all, `npx jest test/<tier>` one of them.
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    // tsconfig's isolatedModules makes ts-jest transpile only; `npm run build:ts` type-checks.
    '^.+\\.ts$': 'ts-jest',
  },
  testTimeout: 120000,
  // Native work is CPU-bound on a 2-core machine: one test file at a time keeps timings sane.
  maxWorkers: 1,
};
