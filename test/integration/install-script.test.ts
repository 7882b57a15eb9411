/**
 * npm's install step (scripts/install.js) in a copy of the package on a PATH without compilers,
 * cmake or Python: a binary that loads is used and nothing is built; with no binary, one short
 * message names what is missing and the commands that fix it, with no stack trace.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { addonPath } from '../../lib/native';
import { packageRoot as root } from '../helpers/paths';

function which(tool: string): string {
  const out = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`${tool} is needed for this test`);
  return out.stdout.trim();
}

describe('scripts/install.js', () => {
  let work: string;
  let pkg: string;
  let env: NodeJS.ProcessEnv;

  beforeEach(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'camu-install-script-'));
    pkg = path.join(work, 'camu');
    fs.mkdirSync(pkg);
    for (const entry of ['dist', 'scripts', 'package.json']) fs.cpSync(path.join(root, entry), path.join(pkg, entry), { recursive: true });
    fs.symlinkSync(path.join(root, 'node_modules'), path.join(pkg, 'node_modules'));
    const bin = path.join(work, 'bin');
    fs.mkdirSync(bin);
    for (const tool of ['node', 'sh']) fs.symlinkSync(fs.realpathSync(which(tool)), path.join(bin, tool));
    env = { HOME: process.env.HOME, PATH: bin };
  });
  afterEach(() => fs.rmSync(work, { recursive: true, force: true }));

  const install = (extra: NodeJS.ProcessEnv = {}) =>
    spawnSync(process.execPath, [path.join(pkg, 'scripts', 'install.js')], { cwd: pkg, env: { ...env, ...extra }, encoding: 'utf8' });

  it('uses a prebuild that loads and builds nothing', () => {
    const prebuilds = path.join(pkg, 'prebuilds', `${process.platform}-${process.arch}`);
    fs.mkdirSync(prebuilds, { recursive: true });
    fs.copyFileSync(addonPath, path.join(prebuilds, 'camu.node'));
    fs.copyFileSync(path.join(path.dirname(addonPath), 'camu.build.json'), path.join(prebuilds, 'camu.build.json'));
    const run = install();
    expect(run.stderr).toMatch(/^camu: using the prebuild prebuilds\/linux-x64\/camu\.node \(libtorch \d+\.\d+\.\d+\); nothing to build\n$/);
    expect(run.status).toBe(0);
    expect(fs.existsSync(path.join(pkg, 'build'))).toBe(false);
  });

  it('names what is missing and how to get it when nothing loads and nothing can build', () => {
    const run = install();
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^camu: no binary of camu loads on this machine, and it cannot build one: missing a C\+\+ compiler \(g\+\+\), cmake/);
    expect(run.stderr).toMatch(/@camu\/linux-x64: not installed/);
    expect(run.stderr).toMatch(/npm install camu --include=optional/);
    expect(run.stderr).toMatch(/Debian 12: .*\n.*Debian\/Ubuntu, to build: .*\n.*Fedora: .*\n.*pip torch: /);
    expect(run.stderr).not.toMatch(/\n\s+at |node:internal/);
    expect(run.stderr.split('\n').length).toBeLessThan(20);
  });

  it('says what an asked-for source build lacks', () => {
    const prebuilds = path.join(pkg, 'prebuilds', `${process.platform}-${process.arch}`);
    fs.mkdirSync(prebuilds, { recursive: true });
    fs.copyFileSync(addonPath, path.join(prebuilds, 'camu.node'));
    const run = install({ npm_config_build_from_source: 'true' });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^camu: a source build was asked for, but this machine lacks a C\+\+ compiler \(g\+\+\), cmake/);
  });
});
