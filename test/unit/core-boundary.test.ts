/**
 * The compute core (everything in native/ outside native/node/) knows nothing of Node: no file of
 * it includes a Node-API header or a header of the Node-API layer. The core's CMake target has no
 * Node-API include path either, so a slip also fails its build; this test names the file.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { packageRoot } from '../helpers/paths';

const nativeDir = path.join(packageRoot, 'native');
const NODE_HEADER = /^\s*#\s*include\s*[<"](napi\.h|node_api\.h|js_native_api\.h|node\.h|uv\.h|node\/[^>"]+)[>"]/m;

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(file);
    return /\.(h|hpp|cc|cpp|cu|cuh)$/.test(entry.name) ? [file] : [];
  });
}

describe('the Node-free core', () => {
  const all = sources(nativeDir);
  const core = all.filter((file) => !file.startsWith(path.join(nativeDir, 'node') + path.sep));

  it('has its sources outside native/node and the Node-API layer inside it', () => {
    expect(core.length).toBeGreaterThan(30);
    expect(all.length - core.length).toBeGreaterThan(10);
  });

  it('includes no Node-API header anywhere outside native/node', () => {
    const offenders = core.filter((file) => NODE_HEADER.test(fs.readFileSync(file, 'utf8'))).map((file) => path.relative(nativeDir, file));
    expect(offenders).toEqual([]);
  });

  it('recognises the includes it forbids', () => {
    for (const line of ['#include <napi.h>', '#include "napi.h"', '  #  include <node_api.h>', '#include "node/job.h"']) {
      expect(NODE_HEADER.test(line)).toBe(true);
    }
    expect(NODE_HEADER.test('#include "core/job_context.h"')).toBe(false);
  });
});
