/**
 * A local npm registry for install tests: it serves the given tarballs under their package names
 * and passes every other request on to the real registry, so that a test can run
 * `npm install camu` exactly as a user types it, before camu is published.
 */
import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as path from 'node:path';

export interface LocalRegistry {
  /** The registry's address, for npm_config_registry. */
  url: string;
  /** Package names that were asked for, in order (local or passed on). */
  requested: string[];
  close(): Promise<void>;
}

interface LocalPackage {
  packument: string;
  tarball: string;
}

function manifestOf(tarball: string): Record<string, unknown> & { name: string; version: string } {
  return JSON.parse(execFileSync('tar', ['-xzOf', tarball, 'package/package.json'], { encoding: 'utf8' }));
}

/** The registry npm is configured to use (a mirror, where the machine has one), without its final slash. */
function configuredRegistry(): string {
  return execFileSync('npm', ['config', 'get', 'registry'], { encoding: 'utf8' }).trim().replace(/\/+$/, '');
}

export async function startLocalRegistry(tarballs: string[], upstream = configuredRegistry()): Promise<LocalRegistry> {
  const local = new Map<string, LocalPackage>();
  const requested: string[] = [];
  const server = http.createServer((request, response) => {
    const url = request.url ?? '/';
    const tarball = /^\/-\/local\/([^/]+)$/.exec(url);
    if (tarball) {
      const found = [...local.values()].find((p) => path.basename(p.tarball) === decodeURIComponent(tarball[1]));
      if (!found) {
        response.writeHead(404).end();
        return;
      }
      response.writeHead(200, { 'content-type': 'application/octet-stream' });
      fs.createReadStream(found.tarball).pipe(response);
      return;
    }
    const name = decodeURIComponent(url.slice(1).split('?')[0]);
    requested.push(name);
    const mine = local.get(name);
    if (mine) {
      response.writeHead(200, { 'content-type': 'application/json' }).end(mine.packument);
      return;
    }
    const headers: http.OutgoingHttpHeaders = {};
    for (const key of ['accept', 'accept-encoding', 'user-agent', 'npm-command', 'npm-session', 'pacote-version']) {
      if (request.headers[key] !== undefined) headers[key] = request.headers[key];
    }
    const onward = (upstream.startsWith('https:') ? https : http).request(`${upstream}${url}`, { method: request.method, headers }, (answer) => {
      const passed = { ...answer.headers };
      delete passed.connection;
      delete passed['transfer-encoding'];
      response.writeHead(answer.statusCode ?? 502, passed);
      answer.pipe(response);
    });
    onward.on('error', (error) => response.writeHead(502).end(String(error)));
    request.pipe(onward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the local registry has no port');
  const base = `http://127.0.0.1:${address.port}`;
  for (const file of tarballs) {
    const manifest = manifestOf(file);
    const bytes = fs.readFileSync(file);
    const version = {
      ...manifest,
      _id: `${manifest.name}@${manifest.version}`,
      dist: {
        tarball: `${base}/-/local/${encodeURIComponent(path.basename(file))}`,
        integrity: `sha512-${crypto.createHash('sha512').update(bytes).digest('base64')}`,
        shasum: crypto.createHash('sha1').update(bytes).digest('hex'),
      },
    };
    const packument = {
      name: manifest.name,
      'dist-tags': { latest: manifest.version },
      versions: { [manifest.version]: version },
    };
    local.set(manifest.name, { packument: JSON.stringify(packument), tarball: file });
  }
  return {
    url: `${base}/`,
    requested,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
