/**
 * The registry of method descriptors: every other file of this folder exports one `method`
 * (lib/unlearn/descriptor.ts), found here at load, so that adding a method takes its one file
 * (docs/adding-a-method.md). The native registry must hold the same names: the conformance tests
 * check that both agree.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkOneOf, checkString } from '../../is';
import type { MethodDescriptor } from '../descriptor';

function loadDescriptors(): ReadonlyMap<string, MethodDescriptor> {
  const found = new Map<string, MethodDescriptor>();
  const self = path.basename(__filename).replace(/\.[jt]s$/, '');
  for (const file of fs.readdirSync(__dirname).sort()) {
    const match = /^(.+)\.(js|ts)$/.exec(file);
    if (!match || file.endsWith('.d.ts') || match[1] === self) continue;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { method } = require(path.join(__dirname, file)) as { method?: MethodDescriptor };
    if (method === undefined) throw new Error(`lib/unlearn/methods/${file} exports no method descriptor`);
    if (found.has(method.name)) throw new Error(`lib/unlearn/methods/${file}: a second method named '${method.name}'`);
    found.set(method.name, method);
  }
  // In name order, as the native registry lists them (file names sort otherwise: neggrad-plus.ts
  // comes before neggrad.ts, 'neggrad+' after 'neggrad').
  return new Map([...found].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

const descriptors = loadDescriptors();

/** The names of the unlearning methods, sorted. */
export const METHOD_NAMES: readonly string[] = [...descriptors.keys()];

/** A method's descriptor; a coded RangeError naming `name` for an unknown method. */
export function methodDescriptor(method: unknown, name = 'method'): MethodDescriptor {
  checkString(name, 'methodDescriptor: name');
  checkOneOf(method, name, METHOD_NAMES);
  return descriptors.get(method) as MethodDescriptor;
}

/** Every method's descriptor, in name order. */
export function methodDescriptors(): readonly MethodDescriptor[] {
  return [...descriptors.values()];
}
