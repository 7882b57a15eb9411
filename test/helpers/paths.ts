/** Paths the tests read, independent of how deep under test/ a test file sits. */
import * as path from 'node:path';

/** The package root (this file is test/helpers/paths.ts). */
export const packageRoot = path.resolve(__dirname, '..', '..');

/** test/fixtures/: the checked-in model and data files (scripts/make-fixtures.py, scripts/make-svc-fixture.py). */
export const fixturesDir = path.join(packageRoot, 'test', 'fixtures');
