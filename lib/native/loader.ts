/**
 * Loads the native addon (node-gyp-build: build/Release first, then prebuilds/<platform>-<arch>/)
 * and explains load failures.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CamuError, ErrorCode, makeNativeError } from '../errors';
import type { RawBinding } from './types';

// node-gyp-build ships no types.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const nodeGypBuild: { (dir: string): unknown; resolve(dir: string): string } = require('node-gyp-build');

/** What the build recorded next to the addon (CMakeLists.txt writes camu.build.json). */
export interface BuildInfo {
  camuVersion: string;
  libtorchVersion: string;
  libtorchLibDir: string;
  libtorchSource: string;
  variant: 'cpu' | 'cuda';
  xgboost: boolean;
}

/** The package's root: this file is lib/native/loader.ts, or dist/native/loader.js once compiled. */
export const packageRoot = path.resolve(__dirname, '..', '..');

function readBuildInfo(addonPath: string): BuildInfo | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(path.dirname(addonPath), 'camu.build.json'), 'utf8')) as BuildInfo;
  } catch {
    return undefined;
  }
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

/** A sharp-style explanation: what was expected, what was found, the one command that fixes it. */
export function explainLoadFailure(error: unknown, addonPath: string | undefined): string {
  const reason = error instanceof Error ? error.message : String(error);
  const lines = ['camu: could not load its native addon.'];
  const build = addonPath ? readBuildInfo(addonPath) : undefined;
  if (!addonPath) {
    lines.push(`No prebuilt binary for ${os.platform()}-${process.arch} and no local build was found.`);
  } else {
    lines.push(`Addon: ${addonPath}`);
  }
  if (build) {
    lines.push(`It was built against libtorch ${build.libtorchVersion} (${build.variant}) in ${build.libtorchLibDir}.`);
  }
  const installed = findInstalledLibtorch();
  lines.push(`libtorch found on this machine: ${installed.length > 0 ? installed.join(', ') : 'none'}.`);
  lines.push(`Loader said: ${reason.split('\n')[0]}`);
  const systemBuild = build !== undefined && build.libtorchLibDir.startsWith('/usr/lib');
  const missingLibrary = /cannot open shared object file/.test(reason);
  if (!addonPath && installed.length === 0) {
    lines.push('Fix: sudo apt-get install -y libtorch-dev && npm rebuild camu --build-from-source');
  } else if (missingLibrary && systemBuild) {
    lines.push('Fix: sudo apt-get install -y libtorch-dev   (Debian/Ubuntu; then retry)');
  } else if (missingLibrary && build) {
    lines.push(`Fix: make ${build.libtorchLibDir} exist again, or rebuild against the libtorch you have:`);
    lines.push('     LIBTORCH=/path/to/libtorch npm rebuild camu --build-from-source');
  } else {
    lines.push('Fix: rebuild camu against the libtorch you have (needs g++ and cmake):');
    lines.push('     npm rebuild camu --build-from-source   (set LIBTORCH=/path/to/libtorch to choose one)');
  }
  return lines.join('\n');
}

/** Loads the addon of the package at `root`; a CamuError that explains the failure otherwise. */
export function loadAddon(root: string): { binding: RawBinding; addonPath: string } {
  let addonPath: string | undefined;
  try {
    addonPath = nodeGypBuild.resolve(root);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const binding = require(addonPath) as RawBinding;
    binding.setErrorFactory(makeNativeError);
    return { binding, addonPath };
  } catch (error) {
    if (error instanceof CamuError || error instanceof TypeError || error instanceof RangeError) throw error;
    // The addon loaded but refused the process settings (a bad CAMU_NUM_THREADS or
    // CAMU_PROCESS_TUNING; docs/process-settings.md): that is the user's to fix, not a rebuild.
    const code = (error as { code?: unknown }).code;
    if (code === ErrorCode.InvalidArgValue) throw new CamuError((error as Error).message, code, { cause: error });
    throw new CamuError(explainLoadFailure(error, addonPath), ErrorCode.NativeLoad, { cause: error });
  }
}

const loaded = loadAddon(packageRoot);
export const binding: RawBinding = loaded.binding;
/** The file the addon was loaded from (a local build or a prebuild). */
export const addonPath: string = loaded.addonPath;
