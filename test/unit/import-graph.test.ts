/**
 * The shape of lib/'s import graph, read from the sources (relative imports, type-only ones
 * included): no import cycles, and the evaluation layer (lib/metrics, lib/evaluation.ts) never
 * reaches the reporting layer (lib/reproduce), which builds on it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { packageRoot } from '../helpers/paths';

const LIB = path.join(packageRoot, 'lib');

/** `from './x'`, `import('./x')` and the side-effect `import './x'`. */
const RELATIVE_IMPORT = /\bfrom\s+'(\.[^']*)'|\bimport\s*\(\s*'(\.[^']*)'\s*\)|^\s*import\s+'(\.[^']*)'/gm;

function sourceFiles(directory: string): string[] {
  return fs.readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(directory, entry.name);
    if (entry.isDirectory()) return sourceFiles(file);
    return entry.name.endsWith('.ts') ? [file] : [];
  });
}

function resolveImport(from: string, specifier: string): string {
  const base = path.resolve(path.dirname(from), specifier);
  const file = [`${base}.ts`, path.join(base, 'index.ts')].find((candidate) => fs.existsSync(candidate));
  if (file === undefined) throw new Error(`${path.relative(LIB, from)}: cannot resolve '${specifier}'`);
  return file;
}

/** Each lib/ file (relative to lib/, '/'-separated) -> the lib/ files it imports. */
function importGraph(): Map<string, string[]> {
  const name = (file: string) => path.relative(LIB, file).split(path.sep).join('/');
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(LIB)) {
    const source = fs.readFileSync(file, 'utf8');
    const imports = [...source.matchAll(RELATIVE_IMPORT)].map((match) => match[1] ?? match[2] ?? match[3]);
    graph.set(name(file), [...new Set(imports.map((specifier) => name(resolveImport(file, specifier))))]);
  }
  return graph;
}

/** One import cycle as a path that ends where it starts; undefined when there is none. */
function findCycle(graph: Map<string, string[]>): string[] | undefined {
  const finished = new Set<string>();
  const trail: string[] = [];
  const visit = (file: string): string[] | undefined => {
    const at = trail.indexOf(file);
    if (at >= 0) return [...trail.slice(at), file];
    if (finished.has(file)) return undefined;
    trail.push(file);
    for (const imported of graph.get(file) ?? []) {
      const cycle = visit(imported);
      if (cycle) return cycle;
    }
    trail.pop();
    finished.add(file);
    return undefined;
  };
  for (const file of graph.keys()) {
    const cycle = visit(file);
    if (cycle) return cycle;
  }
  return undefined;
}

/** Every file `file` imports, directly or through others. */
function reachable(graph: Map<string, string[]>, file: string): Set<string> {
  const seen = new Set<string>();
  const pending = [...(graph.get(file) ?? [])];
  while (pending.length > 0) {
    const next = pending.pop() as string;
    if (seen.has(next)) continue;
    seen.add(next);
    pending.push(...(graph.get(next) ?? []));
  }
  return seen;
}

const graph = importGraph();

test('the graph is read: known imports are found', () => {
  expect(graph.get('reproduce/run.ts')).toEqual(expect.arrayContaining(['evaluation.ts', 'metrics/index.ts', 'reproduce/schema.ts']));
  expect(graph.get('reproduce/index.ts')).toContain('metrics/catalogue.ts');
});

test('lib/ has no import cycle', () => {
  expect(findCycle(graph)?.join(' -> ')).toBeUndefined();
});

test('the evaluation layer never imports the reporting layer', () => {
  const evaluationLayer = [...graph.keys()].filter((file) => file.startsWith('metrics/') || file === 'evaluation.ts');
  expect(evaluationLayer).toEqual(expect.arrayContaining(['metrics/index.ts', 'metrics/catalogue.ts', 'evaluation.ts']));
  const crossings = evaluationLayer.flatMap((file) =>
    [...reachable(graph, file)].filter((imported) => imported.startsWith('reproduce/')).map((imported) => `${file} -> ${imported}`),
  );
  expect(crossings).toEqual([]);
});

test('findCycle finds a cycle and reachable follows imports through other files', () => {
  const cyclic = new Map([['a.ts', ['b.ts']], ['b.ts', ['c.ts']], ['c.ts', ['a.ts']]]);
  expect(findCycle(cyclic)).toEqual(['a.ts', 'b.ts', 'c.ts', 'a.ts']);
  expect([...reachable(cyclic, 'a.ts')].sort()).toEqual(['a.ts', 'b.ts', 'c.ts']);
  expect(findCycle(new Map([['a.ts', ['b.ts']], ['b.ts', []]]))).toBeUndefined();
});
