#!/usr/bin/env node
// Writes the ESM entry (dist/index.mjs) and its types (dist/index.d.mts) over the compiled
// CommonJS entry. The names come from the loaded module, not from Node's static scan of its source,
// so `import` gives exactly what `require` gives. Loading it loads the native addon: this runs
// after the addon is built, as the last step of `npm run build:ts`.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const dist = path.join(__dirname, '..', 'dist');

/** The ESM entry's source for the CommonJS exports object `exported`: the same objects, by name. */
function esmEntry(exported) {
  const names = Object.keys(exported).sort();
  const bad = names.filter((name) => name === 'default' || !/^[A-Za-z_$][\w$]*$/.test(name));
  if (bad.length > 0) {
    throw new Error(`dist/index.js exports names the ESM entry cannot re-export as bindings: ${bad.join(', ')}`);
  }
  return [
    "import camu from './index.js';",
    '',
    `export const {\n${names.map((name) => `  ${name},\n`).join('')}} = camu;`,
    'export default camu;',
    '',
  ].join('\n');
}

const DECLARATIONS = [
  "import camu from './index.js';",
  '',
  "export * from './index.js';",
  'export default camu;',
  '',
].join('\n');

module.exports = { esmEntry };

if (require.main === module) {
  fs.writeFileSync(path.join(dist, 'index.mjs'), esmEntry(require(path.join(dist, 'index.js'))));
  fs.writeFileSync(path.join(dist, 'index.d.mts'), DECLARATIONS);
}
