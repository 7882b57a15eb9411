/**
 * The package's entry points as a consumer resolves them through package.json "exports": `import`
 * and `require` give the same names and the same objects, TypeScript under nodenext finds the types
 * of each, the packed tarball holds every file the map names, and no shipped source map points at a
 * file the tarball leaves out.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { removeTempDirs, tempDir } from '../helpers/data-fixtures';
import { packageRoot as root } from '../helpers/paths';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { esmEntry } = require('../../scripts/build-esm.js') as { esmEntry(exported: object): string };

const tsc = require.resolve('typescript/bin/tsc');

/** A project with camu installed (a link to this checkout), as the consumer's cwd. */
let project: string;
/** The paths `npm pack` puts in the tarball. */
let packed: string[];

beforeAll(() => {
  // Without the generated entries, a build that stopped writing them cannot pass on stale copies.
  for (const file of ['index.mjs', 'index.d.mts']) fs.rmSync(path.join(root, 'dist', file), { force: true });
  execFileSync('npm', ['run', 'build:ts'], { cwd: root, stdio: 'pipe' });
  project = tempDir('exports');
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
  fs.mkdirSync(path.join(project, 'node_modules'));
  fs.symlinkSync(root, path.join(project, 'node_modules', 'camu'));
  const pack = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json'], { cwd: root, encoding: 'utf8' }));
  packed = pack[0].files.map((file: { path: string }) => file.path);
}, 120000);
afterAll(removeTempDirs);

/** Type-checks `files` (written into the project) under nodenext: tsc's messages, and the files it read. */
function typeCheck(files: Record<string, string>): { messages: string; read: string[] } {
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(project, name), text);
  const check = spawnSync(
    process.execPath,
    [tsc, '--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022',
      '--typeRoots', path.join(root, 'node_modules', '@types'), '--types', 'node', '--pretty', 'false', '--listFiles',
      ...Object.keys(files).map((name) => path.join(project, name))],
    { cwd: project, encoding: 'utf8' },
  );
  // --listFiles prints each file read, as a line of its own; everything else is a diagnostic.
  const lines = (check.stdout + check.stderr).split('\n').filter(Boolean);
  const isFile = (line: string) => path.isAbsolute(line) && fs.existsSync(line);
  return { messages: lines.filter((line) => !isFile(line)).join('\n'), read: lines.filter(isFile) };
}

test('import and require give the same names and the same objects, from the ESM and CommonJS entries', () => {
  const script = `
    import * as namespace from 'camu';
    import camuDefault from 'camu';
    import { createRequire } from 'node:module';
    const require = createRequire(import.meta.url);
    const required = require('camu');
    const imported = Object.keys(namespace).filter((name) => name !== 'default');
    console.log(JSON.stringify({
      importFile: import.meta.resolve('camu'),
      requireFile: require.resolve('camu'),
      imported,
      required: Object.keys(required),
      different: imported.filter((name) => namespace[name] !== required[name]),
      defaultIsRequired: camuDefault === required,
    }));`;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: project, encoding: 'utf8' });
  expect(run.stderr).toBe('');
  const result = JSON.parse(run.stdout);
  expect(result.importFile).toMatch(/\/dist\/index\.mjs$/);
  expect(result.requireFile).toMatch(/\/dist\/index\.js$/);
  expect(result.required.length).toBeGreaterThan(50);
  expect([...result.imported].sort()).toEqual([...result.required].sort());
  expect(result.different).toEqual([]);
  expect(result.defaultIsRequired).toBe(true);
});

test('the ESM entry lists the names sorted and refuses names it cannot bind', () => {
  expect(esmEntry({ zeta: 1, alpha: 2 })).toContain('export const {\n  alpha,\n  zeta,\n} = camu;');
  expect(() => esmEntry({ default: 1, ok: 2 })).toThrow(/cannot re-export as bindings: default/);
  expect(() => esmEntry({ 'not-a-name': 1 })).toThrow(/not-a-name/);
});

test('TypeScript under nodenext resolves the ESM types for .mts and the CommonJS types for .cts', () => {
  const mts = [
    "import * as camu from 'camu';",
    "import camuDefault, { CamuError, ErrorCode, reproduce, tensor } from 'camu';",
    'const t: camu.Tensor = tensor(new Float32Array(4), [2, 2]);',
    "const coded: string = new CamuError('m', ErrorCode.InvalidArgValue).code;",
    'const same: boolean = camuDefault.tensor === camu.tensor;',
    'void [t, coded, same, reproduce];',
    '',
  ].join('\n');
  const cts = [
    "import camu = require('camu');",
    "import { tensor } from 'camu';",
    'const t: camu.Tensor = tensor(new Float32Array(4), [2, 2]);',
    'void [t, camu.reproduce, camu.info];',
    '',
  ].join('\n');
  const esm = typeCheck({ 'consumer.mts': mts });
  expect(esm.messages).toBe('');
  expect(esm.read).toContain(path.join(root, 'dist', 'index.d.mts'));
  const commonjs = typeCheck({ 'consumer.cts': cts });
  expect(commonjs.messages).toBe('');
  expect(commonjs.read).toContain(path.join(root, 'dist', 'index.d.ts'));
  expect(commonjs.read).not.toContain(path.join(root, 'dist', 'index.d.mts'));

  // The types are camu's own, not a permissive stand-in: a name camu lacks is an error in both.
  const missing = typeCheck({
    'missing.mts': "import * as camu from 'camu';\nvoid camu.unlearnEverything;\n",
    'missing.cts': "import camu = require('camu');\nvoid camu.unlearnEverything;\n",
  });
  expect(missing.messages).toMatch(/missing\.mts.*Property 'unlearnEverything' does not exist/);
  expect(missing.messages).toMatch(/missing\.cts.*Property 'unlearnEverything' does not exist/);
});

test('the tarball holds every file the exports map and "bin" name', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  const targets = (value: unknown): string[] =>
    typeof value === 'string' ? [value] : Object.values(value as object).flatMap(targets);
  const named = [...targets(pkg.exports), ...Object.values(pkg.bin as Record<string, string>), pkg.main, pkg.types];
  expect(named).toEqual(expect.arrayContaining(['./dist/index.mjs', './dist/index.d.mts', './dist/index.js', './dist/index.d.ts']));
  for (const file of named) expect(packed).toContain(path.normalize(file));
});

test('every shipped source map carries its sources or points only at shipped files', () => {
  const maps = packed.filter((file) => file.endsWith('.map'));
  expect(maps).toContain('dist/index.js.map');
  const unresolvable: string[] = [];
  for (const file of maps) {
    const map = JSON.parse(fs.readFileSync(path.join(root, file), 'utf8'));
    map.sources.forEach((source: string, i: number) => {
      if (typeof map.sourcesContent?.[i] === 'string') return;
      const target = path.normalize(path.join(path.dirname(file), map.sourceRoot ?? '', source));
      if (!packed.includes(target)) unresolvable.push(`${file}: ${source}`);
    });
  }
  expect(unresolvable).toEqual([]);
});

test('a compiled file whose source is gone is swept from dist/ before packing; the generated ones stay', () => {
  const stale = path.join(root, 'dist', 'datasets', 'gone-source.js');
  fs.writeFileSync(stale, '');
  fs.writeFileSync(`${stale}.map`, '{}');
  execFileSync(process.execPath, [path.join(root, 'scripts', 'clean-dist.js')]);
  expect(fs.existsSync(stale)).toBe(false);
  expect(fs.existsSync(`${stale}.map`)).toBe(false);
  for (const kept of ['index.js', 'index.mjs', 'index.d.mts', 'datasets/idx.js', 'datasets/mnist/train-labels-idx1-ubyte.gz']) {
    expect(fs.existsSync(path.join(root, 'dist', kept))).toBe(true);
  }
});
