/** Every code the core throws (native/core/errors.h) is one lib/errors.ts names for users. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ErrorCode } from '../../lib/errors';

test('the native error codes and ErrorCode agree', () => {
  const header = fs.readFileSync(path.join(__dirname, '..', '..', 'native', 'core', 'errors.h'), 'utf8');
  const native = [...header.matchAll(/inline constexpr const char\* k\w+ = "([A-Z_]+)";/g)].map((match) => match[1]);
  expect(native.length).toBeGreaterThan(10);
  const named = new Set<string>(Object.values(ErrorCode));
  for (const code of native) expect(named.has(code) ? code : `${code} missing from ErrorCode`).toBe(code);
});
