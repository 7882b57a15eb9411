/**
 * Finds, loads and checks the native addon, and explains load failures.
 *
 * Where the binary comes from, in order (docs/installation.md, "Which binary loads"):
 *   1. a source build in build/Release: it exists only when the user asked for one or when
 *      nothing else fitted at install time;
 *   2. the platform package (@camu/<platform>-<arch>, or its -cuda variant when that is installed),
 *      which carries its own libtorch;
 *   3. the prebuild in prebuilds/<platform>-<arch>/, built against a system libtorch, when that
 *      libtorch is on this machine.
 * Exactly one binary is loaded, and the process is then checked to hold exactly one libtorch.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CamuError, ErrorCode, makeNativeError } from '../errors';
import type { RawBinding } from './types';

/** What the build recorded next to the addon (CMakeLists.txt writes camu.build.json). */
export interface BuildInfo {
  camuVersion: string;
  libtorchVersion: string;
  libtorchLibDir: string;
  libtorchSource: string;
  variant: 'cpu' | 'cuda';
  xgboost: boolean;
}

/** Where a loaded addon came from. */
export type AddonSource = 'source build' | 'platform package' | 'prebuild';

/** One place the addon may come from, and why it does not fit this machine when it does not. */
export interface AddonCandidate {
  source: AddonSource;
  /** The binary, or the package that would hold it when it is not installed. */
  path: string;
  exists: boolean;
  /** Set when the candidate exists but cannot work here (a missing libtorch, an older glibc). */
  unfit?: string;
}

/** The package's root: this file is lib/native/loader.ts, or dist/native/loader.js once compiled. */
export const packageRoot = path.resolve(__dirname, '..', '..');

/** The platform package for this machine: it bundles libtorch (scripts/package.js builds it). */
export const platformPackageName = `@camu/${process.platform}-${process.arch}`;

/** The folder of the platform package that holds the addon and its libraries. */
export const PLATFORM_PACKAGE_LIB = 'lib';

export function readBuildInfo(addonPath: string): BuildInfo | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(path.dirname(addonPath), 'camu.build.json'), 'utf8')) as BuildInfo;
  } catch {
    return undefined;
  }
}

/** The C library's version when it is glibc ('2.36'), else undefined (musl, or not Linux). */
function glibcVersion(): string | undefined {
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  return header?.glibcVersionRuntime;
}

function versionBelow(have: string, need: string): boolean {
  const a = have.split('.').map(Number);
  const b = need.split('.').map(Number);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) < (b[i] ?? 0);
  }
  return false;
}

function hasLibtorch(dir: string): boolean {
  try {
    return fs.readdirSync(dir).some((name) => /^libtorch_cpu\.so(\.|$)/.test(name));
  } catch {
    return false;
  }
}

/** Whether the GPU driver's library is where the dynamic loader looks. */
function hasGpuDriver(): boolean {
  const dirs = [...(process.env.LD_LIBRARY_PATH ?? '').split(':'), '/usr/lib/x86_64-linux-gnu', '/usr/lib64', '/usr/lib', '/usr/lib/wsl/lib'];
  return dirs.some((dir) => dir !== '' && fs.existsSync(path.join(dir, 'libcuda.so.1')));
}

function platformCandidate(root: string, name: string): AddonCandidate {
  let manifest: string;
  try {
    manifest = require.resolve(`${name}/package.json`, { paths: [root] });
  } catch {
    return { source: 'platform package', path: name, exists: false };
  }
  const dir = path.dirname(manifest);
  const addon = path.join(dir, PLATFORM_PACKAGE_LIB, 'camu.node');
  const exists = fs.existsSync(addon);
  const candidate: AddonCandidate = { source: 'platform package', path: exists ? addon : dir, exists };
  let needs: { glibc?: string } = {};
  try {
    needs = (JSON.parse(fs.readFileSync(manifest, 'utf8')) as { camu?: { glibc?: string } }).camu ?? {};
  } catch {
    // An unreadable manifest: loading the binary reports what is wrong.
  }
  if (name.endsWith('-cuda') && !hasGpuDriver()) {
    candidate.unfit = 'it needs the NVIDIA driver (libcuda.so.1), which this machine does not have';
    return candidate;
  }
  const glibc = glibcVersion();
  if (needs.glibc !== undefined && glibc === undefined) candidate.unfit = 'it needs glibc; this system has another C library';
  else if (needs.glibc !== undefined && glibc !== undefined && versionBelow(glibc, needs.glibc)) {
    candidate.unfit = `it needs glibc ${needs.glibc} or later; this system has ${glibc}`;
  }
  return candidate;
}

function prebuildCandidate(root: string): AddonCandidate {
  const dir = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);
  let names: string[] = [];
  try {
    names = fs.readdirSync(dir).filter((name) => name.endsWith('.node')).sort();
  } catch {
    return { source: 'prebuild', path: dir, exists: false };
  }
  if (names.length === 0) return { source: 'prebuild', path: dir, exists: false };
  const addon = path.join(dir, names[0]);
  const candidate: AddonCandidate = { source: 'prebuild', path: addon, exists: true };
  const build = readBuildInfo(addon);
  if (build && !hasLibtorch(build.libtorchLibDir)) {
    candidate.unfit = `it needs libtorch ${build.libtorchVersion} in ${build.libtorchLibDir}, which is not there`;
  }
  return candidate;
}

/** The places the addon of the package at `root` may come from, in the order they are tried. */
export function addonCandidates(root: string): AddonCandidate[] {
  const built = path.join(root, 'build', 'Release', 'camu.node');
  const candidates: AddonCandidate[] = [{ source: 'source build', path: built, exists: fs.existsSync(built) }];
  // The CUDA variant is installed only on purpose (npm install @camu/linux-x64-cuda), so it wins.
  const cuda = platformCandidate(root, `${platformPackageName}-cuda`);
  if (cuda.exists) candidates.push(cuda);
  candidates.push(platformCandidate(root, platformPackageName), prebuildCandidate(root));
  return candidates;
}

/** libtorch versions visible on this machine, for the load-failure message. */
function findInstalledLibtorch(): string[] {
  const found: string[] = [];
  const multiarch = process.arch === 'x64' ? 'x86_64-linux-gnu' : process.arch === 'arm64' ? 'aarch64-linux-gnu' : '';
  for (const dir of [`/usr/lib/${multiarch}`, '/usr/lib', '/usr/local/lib']) {
    let names: string[] = [];
    try {
      names = fs.readdirSync(dir);
    } catch {
      continue;
    }
    const versioned = names.filter((n) => /^libtorch_cpu\.so\.\d+\.\d+$/.test(n));
    if (versioned.length > 0) found.push(...versioned.map((n) => `${dir}/${n}`));
    else if (names.includes('libtorch_cpu.so')) found.push(`${dir}/libtorch_cpu.so`);
  }
  if (process.env.LIBTORCH) found.push(`LIBTORCH=${process.env.LIBTORCH}`);
  return found;
}

function describeCandidate(candidate: AddonCandidate): string {
  if (!candidate.exists) {
    return candidate.source === 'platform package'
      ? `${candidate.path}: not installed`
      : `${candidate.source}: none (${candidate.path})`;
  }
  return `${candidate.source} ${candidate.path}${candidate.unfit ? `: ${candidate.unfit}` : ''}`;
}

/**
 * A sharp-style explanation: what was tried, what was expected, what was found, and the command
 * that fixes it. `candidates` (from addonCandidates) adds why each place did not fit.
 */
export function explainLoadFailure(error: unknown, addonPath: string | undefined, candidates: AddonCandidate[] = []): string {
  const reason = error instanceof Error ? error.message : String(error);
  const lines = ['camu: could not load its native addon.'];
  const build = addonPath ? readBuildInfo(addonPath) : undefined;
  if (!addonPath) {
    lines.push(`No binary for ${os.platform()}-${process.arch} fits this machine, and there is no source build.`);
  } else {
    lines.push(`Addon: ${addonPath}`);
  }
  if (build) {
    lines.push(`It was built against libtorch ${build.libtorchVersion} (${build.variant}) in ${build.libtorchLibDir}.`);
  }
  if (candidates.length > 0) {
    lines.push('Tried, in order:');
    for (const candidate of candidates) lines.push(`  ${describeCandidate(candidate)}`);
  }
  const installed = findInstalledLibtorch();
  lines.push(`libtorch found on this machine: ${installed.length > 0 ? installed.join(', ') : 'none'}.`);
  if (addonPath) lines.push(`Loader said: ${reason.split('\n')[0]}`);
  const systemBuild = build !== undefined && build.libtorchLibDir.startsWith('/usr/lib');
  const missingLibrary = /cannot open shared object file/.test(reason);
  const platformMissing = candidates.some((c) => c.source === 'platform package' && !c.exists);
  // The binary's libtorch is gone and the machine has another version: only a rebuild helps.
  const majorMinor = build?.libtorchVersion.split('.').slice(0, 2).join('.');
  const otherVersion =
    build !== undefined && !hasLibtorch(build.libtorchLibDir) && installed.length > 0 && !installed.some((p) => p.endsWith(`.so.${majorMinor}`));
  if (!addonPath && platformMissing && process.platform === 'linux' && process.arch === 'x64') {
    lines.push(`Fix: npm install ${platformPackageName}   (camu's libtorch, bundled; or reinstall camu without --omit=optional)`);
    lines.push('     or rebuild against a libtorch you have: npm rebuild camu --build-from-source (docs/installation.md)');
  } else if (!addonPath && installed.length === 0) {
    lines.push('Fix: sudo apt-get install -y libtorch-dev && npm rebuild camu --build-from-source');
  } else if (missingLibrary && systemBuild && !otherVersion) {
    lines.push('Fix: sudo apt-get install -y libtorch-dev   (Debian/Ubuntu; then retry)');
  } else if (missingLibrary && build && !otherVersion) {
    lines.push(`Fix: make ${build.libtorchLibDir} exist again, or rebuild against the libtorch you have:`);
    lines.push('     LIBTORCH=/path/to/libtorch npm rebuild camu --build-from-source');
  } else {
    lines.push('Fix: rebuild camu against the libtorch you have (needs g++ and cmake):');
    lines.push('     npm rebuild camu --build-from-source   (set LIBTORCH=/path/to/libtorch to choose one)');
  }
  return lines.join('\n');
}

/** Files mapped into this process whose names match `pattern`, by real path. */
function mappedLibraries(pattern: RegExp): string[] {
  let maps: string;
  try {
    maps = fs.readFileSync('/proc/self/maps', 'utf8');
  } catch {
    return [];
  }
  const files = new Set<string>();
  for (const line of maps.split('\n')) {
    const file = line.split(/\s+/)[5];
    if (file && pattern.test(path.basename(file))) files.add(file);
  }
  return [...files].map((file) => {
    try {
      return fs.realpathSync(file);
    } catch {
      return file;
    }
  }).filter((file, i, all) => all.indexOf(file) === i);
}

/**
 * The folder of the one libtorch in this process; a CamuError when two are loaded (two builds of
 * libtorch in one process crash in ways that are hard to trace back; docs/installation.md).
 */
export function loadedLibtorchDir(): string | undefined {
  const cpu = mappedLibraries(/^libtorch_cpu\.so/);
  const c10 = mappedLibraries(/^libc10\.so/);
  if (cpu.length > 1 || c10.length > 1) {
    throw new CamuError(
      `camu: more than one libtorch is loaded in this process (${[...cpu, ...c10].join(', ')}). ` +
        'Something else in the process loaded another libtorch, or the binary was built against a ' +
        'libtorch whose libraries come from two installations; rebuild camu against one libtorch ' +
        '(docs/installation.md).',
      ErrorCode.NativeLoad,
    );
  }
  return cpu.length === 1 ? path.dirname(cpu[0]) : undefined;
}

/** The loaded addon, where it came from, and the libtorch it brought into the process. */
export interface LoadedAddon {
  binding: RawBinding;
  addonPath: string;
  addonSource: AddonSource;
  libtorchDir: string | undefined;
}

/** Loads the addon of the package at `root`; a CamuError that explains the failure otherwise. */
export function loadAddon(root: string): LoadedAddon {
  const candidates = addonCandidates(root);
  const existing = candidates.filter((c) => c.exists);
  // The first that fits; when none fits, the first that exists, so that the dynamic loader's own
  // words (the missing library) reach the message.
  const chosen = existing.find((c) => c.unfit === undefined) ?? existing[0];
  if (!chosen) {
    throw new CamuError(explainLoadFailure(new Error('no binary'), undefined, candidates), ErrorCode.NativeLoad);
  }
  let binding: RawBinding;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    binding = require(chosen.path) as RawBinding;
    binding.setErrorFactory(makeNativeError);
  } catch (error) {
    if (error instanceof CamuError || error instanceof TypeError || error instanceof RangeError) throw error;
    // The addon loaded but refused the process settings (a bad CAMU_NUM_THREADS or
    // CAMU_PROCESS_TUNING; docs/process-settings.md): that is the user's to fix, not a rebuild.
    const code = (error as { code?: unknown }).code;
    if (code === ErrorCode.InvalidArgValue) throw new CamuError((error as Error).message, code, { cause: error });
    throw new CamuError(explainLoadFailure(error, chosen.path, candidates), ErrorCode.NativeLoad, { cause: error });
  }
  return { binding, addonPath: chosen.path, addonSource: chosen.source, libtorchDir: loadedLibtorchDir() };
}

const loaded = loadAddon(packageRoot);
export const binding: RawBinding = loaded.binding;
/** The file the addon was loaded from. */
export const addonPath: string = loaded.addonPath;
/** Where that file came from: a source build, the platform package or a prebuild. */
export const addonSource: AddonSource = loaded.addonSource;
/** The folder of the libtorch the addon brought into the process. */
export const libtorchDir: string | undefined = loaded.libtorchDir;
