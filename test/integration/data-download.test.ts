/** CIFAR download, verification, resume and extraction against a local HTTP server on 127.0.0.1. */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { AbortError, CamuError, CIFAR_SOURCES, downloadCifar, ErrorCode, extractTarGz, loadCifar10, loadCifar100, Progress } from '../../lib';
import { cifar100Archive, cifar10Archive, pseudoRandomBytes, tarGz, removeTempDirs, tempDir, toNumbers } from '../helpers/data-fixtures';

afterAll(removeTempDirs);

const md5 = (data: Buffer) => crypto.createHash('md5').update(data).digest('hex');

interface Behaviour {
  /** Send only this many bytes of the next response body, then drop the connection. */
  truncateAt?: number;
  /** Send this many bytes of the next response body, then stall until the client goes away. */
  stallAt?: number;
  /** Answer range requests with the whole file (200). */
  ignoreRange?: boolean;
}

class TestServer {
  readonly files = new Map<string, Buffer>();
  readonly requests: { url: string; range?: string }[] = [];
  behaviour: Behaviour = {};
  private server = http.createServer((req, res) => this.handle(req, res));

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/cifar/`;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = req.url ?? '';
    this.requests.push({ url, range: req.headers.range });
    if (url.startsWith('/moved/')) {
      res.writeHead(302, { Location: `/cifar/${url.slice('/moved/'.length)}` }).end();
      return;
    }
    const data = url.startsWith('/cifar/') ? this.files.get(url.slice('/cifar/'.length)) : undefined;
    if (!data) {
      res.writeHead(404).end('not found');
      return;
    }
    const behaviour = this.behaviour;
    this.behaviour = {};
    let start = 0;
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (range && !behaviour.ignoreRange) {
      start = Number(range[1]);
      if (start >= data.length) {
        res.writeHead(416, { 'Content-Range': `bytes */${data.length}` }).end();
        return;
      }
      res.writeHead(206, { 'Content-Length': data.length - start, 'Content-Range': `bytes ${start}-${data.length - 1}/${data.length}` });
    } else {
      res.writeHead(200, { 'Content-Length': data.length });
    }
    const body = data.subarray(start);
    if (behaviour.truncateAt !== undefined) {
      res.write(body.subarray(0, behaviour.truncateAt), () => res.destroy());
    } else if (behaviour.stallAt !== undefined) {
      res.write(body.subarray(0, behaviour.stallAt)); // and never end
    } else {
      res.end(body);
    }
  }
}

describe('CIFAR download on loopback', () => {
  const server = new TestServer();
  const cifar10 = cifar10Archive(2);
  const cifar100 = cifar100Archive(3);
  const name10 = CIFAR_SOURCES.cifar10.archive;
  const name100 = CIFAR_SOURCES.cifar100.archive;
  const options = (cacheDir: string, extra: object = {}) => ({ cacheDir, baseUrl: server.baseUrl, md5: md5(cifar10.archive), ...extra });

  beforeAll(async () => {
    server.files.set(name10, cifar10.archive);
    server.files.set(name100, cifar100.archive);
    await server.start();
  });
  afterAll(() => server.stop());
  beforeEach(() => {
    server.requests.length = 0;
    server.behaviour = {};
  });

  test('downloads, verifies, extracts and loads CIFAR-10; the next load uses the cache', async () => {
    const cacheDir = tempDir('cache');
    const progress: Progress[] = [];
    const { train, test } = await loadCifar10(options(cacheDir, { onProgress: (p: Progress) => progress.push(p) }));
    expect(train.shape).toEqual([10, 3, 32, 32]);
    expect(test.shape).toEqual([2, 3, 32, 32]);
    expect(toNumbers(train.labels.toTypedArray() as BigInt64Array)).toEqual(cifar10.trainLabels);
    expect(toNumbers(test.labels.toTypedArray() as BigInt64Array)).toEqual(cifar10.testLabels);
    expect(fs.readdirSync(cacheDir).sort()).toEqual(['cifar-10-batches-bin', name10]);
    const phases = new Set(progress.map((p) => p.phase));
    expect(phases).toEqual(new Set(['download', 'extract', 'read']));
    const lastDownload = progress.filter((p) => p.phase === 'download').pop();
    expect(lastDownload).toMatchObject({ step: cifar10.archive.length, total: cifar10.archive.length });
    expect(server.requests).toEqual([{ url: `/cifar/${name10}`, range: undefined }]);

    await loadCifar10(options(cacheDir));
    expect(server.requests.length).toBe(1);
  });

  test('CIFAR-100 with fine and coarse labels', async () => {
    const cacheDir = tempDir('cache100');
    const fine = await loadCifar100({ cacheDir, baseUrl: server.baseUrl, md5: md5(cifar100.archive) });
    expect(toNumbers(fine.train.labels.toTypedArray() as BigInt64Array)).toEqual(cifar100.train.map((l) => l[1]));
    const coarse = await loadCifar100({ cacheDir, baseUrl: server.baseUrl, md5: md5(cifar100.archive), labels: 'coarse' });
    expect(toNumbers(coarse.test.labels.toTypedArray() as BigInt64Array)).toEqual(cifar100.test.map((l) => l[0]));
    expect(server.requests.length).toBe(1);
  });

  test('a wrong checksum fails with ERR_CAMU_FORMAT and leaves nothing in the cache', async () => {
    const cacheDir = tempDir('cache-md5');
    const error = await loadCifar10({ cacheDir, baseUrl: server.baseUrl }).catch((e: unknown) => e); // the published MD5
    expect(error).toBeInstanceOf(CamuError);
    expect((error as CamuError).code).toBe(ErrorCode.Format);
    expect((error as CamuError).message).toMatch(new RegExp(`checksum mismatch for ${server.baseUrl}${name10}: expected MD5 ${CIFAR_SOURCES.cifar10.md5}, got ${md5(cifar10.archive)}`));
    expect(fs.readdirSync(cacheDir)).toEqual([]);
  });

  test('a truncated transfer keeps only the .part, and the next call resumes it with a Range request', async () => {
    const cacheDir = tempDir('cache-resume');
    server.behaviour = { truncateAt: 10000 };
    const error = await loadCifar10(options(cacheDir)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CamuError);
    expect((error as CamuError).code).toBe(ErrorCode.Io);
    expect((error as CamuError).message).toMatch(/was interrupted: .*the next call resumes it/);
    expect(fs.readdirSync(cacheDir)).toEqual([`${name10}.part`]);
    expect(fs.statSync(path.join(cacheDir, `${name10}.part`)).size).toBe(10000);

    const { train } = await loadCifar10(options(cacheDir));
    expect(train.size).toBe(10);
    expect(server.requests.map((r) => r.range)).toEqual([undefined, 'bytes=10000-']);
    expect(fs.readFileSync(path.join(cacheDir, name10)).equals(cifar10.archive)).toBe(true);
    expect(fs.readdirSync(cacheDir).sort()).toEqual(['cifar-10-batches-bin', name10]);
  });

  test('a server that ignores the Range request restarts the transfer from byte 0', async () => {
    const cacheDir = tempDir('cache-norange');
    fs.writeFileSync(path.join(cacheDir, `${name10}.part`), cifar10.archive.subarray(0, 5000));
    server.behaviour = { ignoreRange: true };
    await downloadCifar('cifar10', options(cacheDir));
    expect(server.requests.map((r) => r.range)).toEqual(['bytes=5000-']);
    expect(fs.readFileSync(path.join(cacheDir, name10)).equals(cifar10.archive)).toBe(true);
  });

  test('a .part that is already complete (HTTP 416) is verified and used', async () => {
    const cacheDir = tempDir('cache-416');
    fs.writeFileSync(path.join(cacheDir, `${name10}.part`), cifar10.archive);
    const dir = await downloadCifar('cifar10', options(cacheDir));
    expect(dir).toBe(path.join(cacheDir, 'cifar-10-batches-bin'));
    expect(server.requests.map((r) => r.range)).toEqual([`bytes=${cifar10.archive.length}-`]);
  });

  test('an abort mid-transfer rejects with AbortError and keeps the .part for a resume', async () => {
    const cacheDir = tempDir('cache-abort');
    const controller = new AbortController();
    server.behaviour = { stallAt: 4096 };
    const pending = loadCifar10(options(cacheDir, { signal: controller.signal }));
    while (!fs.existsSync(path.join(cacheDir, `${name10}.part`)) || fs.statSync(path.join(cacheDir, `${name10}.part`)).size < 4096) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    controller.abort();
    await expect(pending).rejects.toBeInstanceOf(AbortError);
    expect(fs.readdirSync(cacheDir)).toEqual([`${name10}.part`]);
    const before = new AbortController();
    before.abort();
    await expect(loadCifar10(options(tempDir('cache-abort2'), { signal: before.signal }))).rejects.toBeInstanceOf(AbortError);
  });

  test('HTTP errors, redirects and CAMU_CIFAR_BASE_URL', async () => {
    const cacheDir = tempDir('cache-http');
    const missing = await downloadCifar('cifar10', options(cacheDir, { baseUrl: server.baseUrl.replace('/cifar/', '/nothing/') })).catch((e: unknown) => e);
    expect((missing as CamuError).code).toBe(ErrorCode.Io);
    expect((missing as CamuError).message).toMatch(/HTTP 404/);
    expect(fs.readdirSync(cacheDir)).toEqual([]);

    await downloadCifar('cifar10', options(cacheDir, { baseUrl: server.baseUrl.replace('/cifar/', '/moved') }));
    expect(server.requests.slice(-2).map((r) => r.url)).toEqual([`/moved/${name10}`, `/cifar/${name10}`]);

    const envCache = tempDir('cache-env');
    process.env.CAMU_CIFAR_BASE_URL = server.baseUrl;
    try {
      await downloadCifar('cifar10', { cacheDir: envCache, md5: md5(cifar10.archive) });
    } finally {
      delete process.env.CAMU_CIFAR_BASE_URL;
    }
    expect(fs.existsSync(path.join(envCache, 'cifar-10-batches-bin', 'test_batch.bin'))).toBe(true);

    const refused = await downloadCifar('cifar10', { cacheDir: tempDir('cache-refused'), baseUrl: 'http://127.0.0.1:1/' }).catch((e: unknown) => e);
    expect((refused as CamuError).code).toBe(ErrorCode.Io);
  });

  test('a verified archive that is corrupt or incomplete leaves nothing in the cache', async () => {
    const truncated = cifar10.archive.subarray(0, cifar10.archive.length - 300);
    const incomplete = tarGz([{ name: 'cifar-10-batches-bin/data_batch_1.bin', data: Buffer.alloc(3073) }]);
    const unsafe = tarGz([{ name: 'cifar-10-batches-bin/data_batch_1.bin', data: Buffer.alloc(3073) }, { name: '../evil.bin', data: Buffer.alloc(10) }]);
    for (const [archive, pattern] of [
      [truncated, /truncated or corrupt gzip data/],
      [incomplete, /does not hold the cifar10 binary files/],
      [unsafe, /unsafe path in tar archive/],
    ] as const) {
      const cacheDir = tempDir('cache-corrupt');
      // The corrupt bytes under the real archive name, from a second path.
      server.files.set(`bad/${name10}`, archive);
      const error = await downloadCifar('cifar10', { cacheDir, baseUrl: `${server.baseUrl}bad/`, md5: md5(archive) }).catch((e: unknown) => e);
      expect((error as CamuError).code).toBe(ErrorCode.Format);
      expect((error as CamuError).message).toMatch(pattern);
      expect(fs.readdirSync(cacheDir)).toEqual([]);
    }
  });

  test('bad options', async () => {
    await expect(downloadCifar('cifar10', { md5: 'xyz' })).rejects.toThrow(/md5 must be 32 hexadecimal digits/);
    await expect(downloadCifar('cifar11' as 'cifar10', { cacheDir: tempDir('x') })).rejects.toThrow(/name must be 'cifar10' or 'cifar100'/);
    await expect(downloadCifar('cifar10', { cacheDir: 5 as unknown as string })).rejects.toThrow(TypeError);
  });
});

describe('tar extraction', () => {
  const escapes = (dir: string) => fs.readdirSync(dir).filter((name) => name !== 'a.tar.gz' && !name.startsWith('out'));

  test('regular files, directories, long names via pax headers; links, devices and fifos are never created', async () => {
    const dir = tempDir('tar');
    const longName = `deep/${'x'.repeat(120)}.bin`;
    const pax = Buffer.from(`${(` path=${longName}\n`.length + 3).toString()} path=${longName}\n`);
    const archive = path.join(dir, 'a.tar.gz');
    fs.writeFileSync(
      archive,
      tarGz([
        { name: 'top/' },
        { name: 'top/a.txt', data: Buffer.from('hello') },
        { name: 'PaxHeader', data: pax, type: 'x' },
        { name: 'ignored-short-name', data: Buffer.from('long') },
        { name: 'top/link', type: '2', linkname: '../../../outside' },
        { name: 'top/hard', type: '1', linkname: 'top/a.txt' },
        { name: 'top/fifo', type: '6' },
        // Through the skipped link's name: a plain directory inside the destination.
        { name: 'top/link/through.txt', data: Buffer.from('inside') },
        { name: 'top/b.bin', data: Buffer.alloc(1024, 7) },
      ]),
    );
    const out = path.join(dir, 'out');
    const bytes: [number, number][] = [];
    const files = await extractTarGz(archive, out, { onBytes: (done, total) => bytes.push([done, total]) });
    expect(files.sort()).toEqual([longName, 'top/a.txt', 'top/b.bin', 'top/link/through.txt'].sort());
    expect(fs.readFileSync(path.join(out, 'top/a.txt'), 'utf8')).toBe('hello');
    expect(fs.readFileSync(path.join(out, longName), 'utf8')).toBe('long');
    expect(fs.readFileSync(path.join(out, 'top/b.bin')).equals(Buffer.alloc(1024, 7))).toBe(true);
    expect(fs.lstatSync(path.join(out, 'top/link')).isDirectory()).toBe(true);
    expect(fs.existsSync(path.join(out, 'top/hard'))).toBe(false);
    expect(fs.existsSync(path.join(out, 'top/fifo'))).toBe(false);
    expect(escapes(dir)).toEqual([]);
    const size = fs.statSync(archive).size;
    expect(bytes[bytes.length - 1]).toEqual([size, size]);
  });

  test('a path that leaves the destination is ERR_CAMU_FORMAT and nothing is written outside it', async () => {
    const dir = tempDir('tar-unsafe');
    const archive = path.join(dir, 'a.tar.gz');
    for (const [name, shown] of [
      ['../evil.txt', /unsafe path in tar archive: '\.\.\/evil\.txt' \(path contains '\.\.'\)/],
      ['top/../../evil.txt', /unsafe path in tar archive: 'top\/\.\.\/\.\.\/evil\.txt'/],
      [`${dir}/evil.txt`, /unsafe path in tar archive: '.*evil\.txt' \(stripping \/ from absolute path\)/],
    ] as const) {
      fs.writeFileSync(archive, tarGz([{ name: 'ok.txt', data: Buffer.from('x') }, { name, data: Buffer.from('x') }]));
      const error = await extractTarGz(archive, path.join(dir, 'out')).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CamuError);
      expect(error).toMatchObject({ code: ErrorCode.Format, message: expect.stringMatching(shown) });
      expect(escapes(dir)).toEqual([]);
    }
  });

  test('bad header checksums, truncated entries, truncated gzip data and non-archives are ERR_CAMU_FORMAT', async () => {
    const dir = tempDir('tar-bad');
    const archive = path.join(dir, 'a.tar.gz');
    const raw = zlib.gunzipSync(tarGz([{ name: 'a.txt', data: pseudoRandomBytes(2000, 3) }]));
    const gzipped = zlib.gzipSync(raw);
    const corrupt = Buffer.from(raw);
    corrupt[0] = 'b'.charCodeAt(0); // name changes, stored checksum does not
    const cases: [Buffer, RegExp][] = [
      [zlib.gzipSync(corrupt), /a\.tar\.gz: corrupt tar archive \(checksum failure\)/],
      [zlib.gzipSync(raw.subarray(0, 1024)), /a\.tar\.gz: corrupt tar archive \(Truncated input/],
      [gzipped.subarray(0, gzipped.length - 4), /a\.tar\.gz: truncated or corrupt gzip data/],
      [Buffer.concat([gzipped.subarray(0, 200), Buffer.alloc(100, 0xff), gzipped.subarray(300)]), /a\.tar\.gz: truncated or corrupt gzip data/],
      [Buffer.from('not an archive at all'), /a\.tar\.gz: corrupt tar archive \(Unrecognized archive format\)/],
    ];
    for (const [bytes, shown] of cases) {
      fs.writeFileSync(archive, bytes);
      await expect(extractTarGz(archive, path.join(dir, 'out'))).rejects.toMatchObject({ code: ErrorCode.Format, message: expect.stringMatching(shown) });
    }
    // Complete entries without the end-of-archive blocks: accepted, as GNU tar accepts them.
    fs.writeFileSync(archive, zlib.gzipSync(raw.subarray(0, 512 * 5)));
    expect(await extractTarGz(archive, path.join(dir, 'out-no-end'))).toEqual(['a.txt']);
  });

  test('a missing archive is ERR_CAMU_IO; an abort rejects with AbortError', async () => {
    const dir = tempDir('tar-io');
    await expect(extractTarGz(path.join(dir, 'missing.tar.gz'), path.join(dir, 'out'))).rejects.toMatchObject({ code: ErrorCode.Io, message: expect.stringMatching(/cannot extract .*missing\.tar\.gz/) });
    const archive = path.join(dir, 'a.tar.gz');
    fs.writeFileSync(archive, tarGz([{ name: 'a.txt', data: Buffer.from('x') }]));
    await expect(extractTarGz(archive, path.join(dir, 'out'), { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortError);
  });
});
