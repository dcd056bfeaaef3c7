import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { downloadFile, type DownloadFileOptions } from '../../src/download/download-file.js';
import { ChecksumMismatchError, DownloadError } from '../../src/download/errors.js';
import { TestServer, serveFile, serveTruncated } from './support/http-server.js';

const payload = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 2654435761) >>> 24));
const payloadSha = createHash('sha256').update(payload).digest('hex');
const otherSha = createHash('sha256').update('something else').digest('hex');

let server: TestServer;
let root: string;
let dir: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'lra-download-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});
beforeEach(async () => {
  server = await TestServer.start();
  dir = await mkdtemp(join(root, 'case-'));
});
afterEach(async () => {
  await server.close();
});

/** Short waits and timeouts: everything here talks to 127.0.0.1. */
function options(path: string, extra: Partial<DownloadFileOptions> = {}): DownloadFileOptions {
  return { url: server.url(path), dest: join(dir, 'file.bin'), retryDelayMs: 5, idleTimeoutMs: 2000, ...extra };
}

describe('downloadFile', () => {
  it('downloads, reports progress up to the total, verifies the published sha256 and renames into place', async () => {
    server.route('/file.bin', serveFile(payload));
    const seen: [number, number | undefined][] = [];
    const result = await downloadFile(options('/file.bin', { sha256: payloadSha, bytes: payload.length, onProgress: (d, t) => seen.push([d, t]) }));
    expect(result).toMatchObject({ bytes: payload.length, sha256: payloadSha, checksum: 'published', downloaded: true, attempts: 1, resumed: false });
    expect((await readFile(result.path)).equals(payload)).toBe(true);
    expect(seen.at(-1)).toEqual([payload.length, payload.length]);
    expect(seen.every(([d], i) => i === 0 || d >= (seen[i - 1]?.[0] ?? 0))).toBe(true);
    expect(await readdir(dir)).toEqual(['file.bin']);
  });

  it('keeps a truncated download and resumes it with Range (and If-Range) on the next attempt', async () => {
    server.route('/file.bin', (req, res, count) => (count === 1 ? serveTruncated(payload, 100_000)(req, res, count) : serveFile(payload)(req, res, count)));
    const first = await downloadFile(options('/file.bin', { sha256: payloadSha, retries: 0 })).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(DownloadError);
    expect((first as Error).message).toMatch(/connection lost after 100000 of 300000 bytes|truncated body: the connection closed after 100000 of 300000 bytes/);
    expect((await stat(join(dir, 'file.bin.part'))).size).toBe(100_000);
    expect(await readdir(dir)).not.toContain('file.bin');

    const second = await downloadFile(options('/file.bin', { sha256: payloadSha, retries: 0 }));
    expect(second).toMatchObject({ resumed: true, sha256: payloadSha, downloaded: true });
    expect(server.requests[1]?.headers.range).toBe('bytes=100000-');
    expect(server.requests[1]?.headers['if-range']).toBe('"v1"');
    expect((await readFile(join(dir, 'file.bin'))).equals(payload)).toBe(true);
    expect(await readdir(dir)).toEqual(['file.bin']);
  });

  it('retries a dropped connection within one call, resuming where it stopped', async () => {
    server.route('/file.bin', (req, res, count) => serveFile(payload, '"v1"', count <= 2 ? 50_000 : undefined)(req, res, count));
    const logs: string[] = [];
    const result = await downloadFile(options('/file.bin', { sha256: payloadSha, retries: 3, log: (m) => logs.push(m) }));
    expect(result).toMatchObject({ attempts: 3, resumed: true, sha256: payloadSha });
    // Each dropped response is cut after 50,000 bytes; under load the client may have received
    // fewer before the socket closed, so a resume starts anywhere after the last one, never before.
    const ranges = server.requests.map((r) => r.headers.range);
    expect(ranges[0]).toBeUndefined();
    const starts = ranges.slice(1).map((r) => Number(/^bytes=(\d+)-$/.exec(String(r))?.[1]));
    expect(starts).toHaveLength(2);
    expect(starts[0]).toBeGreaterThan(0);
    expect(starts[0]).toBeLessThanOrEqual(50_000);
    expect(starts[1]).toBeGreaterThan(starts[0]!);
    expect(starts[1]).toBeLessThanOrEqual(starts[0]! + 50_000);
    expect((await readFile(join(dir, 'file.bin'))).equals(payload)).toBe(true);
    expect(logs.filter((m) => m.startsWith('attempt '))).toHaveLength(2);
  });

  it('restarts cleanly when the server ignores Range', async () => {
    let calls = 0;
    server.route('/file.bin', (req, res) => {
      calls++;
      if (calls === 1) return serveTruncated(payload, 120_000)(req, res, 1);
      res.writeHead(200, { 'content-length': payload.length }); // no Range support at all
      res.end(payload);
    });
    const logs: string[] = [];
    await downloadFile(options('/file.bin', { retries: 0, lockFile: null })).catch(() => undefined);
    const result = await downloadFile(options('/file.bin', { sha256: payloadSha, retries: 0, log: (m) => logs.push(m) }));
    expect(server.requests[1]?.headers.range).toBe('bytes=120000-');
    expect(result).toMatchObject({ resumed: false, sha256: payloadSha, bytes: payload.length });
    expect(logs.join('\n')).toMatch(/ignored the range request \(HTTP 200\); restarting/);
    expect((await readFile(join(dir, 'file.bin'))).equals(payload)).toBe(true);
  });

  it('restarts when the file changed on the server since the partial download (If-Range fails)', async () => {
    const changed = Buffer.concat([Buffer.from('v2'), payload.subarray(2)]);
    server.route('/file.bin', (req, res, count) => (count === 1 ? serveTruncated(payload, 100_000, '"v1"')(req, res, count) : serveFile(changed, '"v2"')(req, res, count)));
    await downloadFile(options('/file.bin', { retries: 0, lockFile: null })).catch(() => undefined);
    const result = await downloadFile(options('/file.bin', { retries: 0, lockFile: null }));
    expect(result.sha256).toBe(createHash('sha256').update(changed).digest('hex'));
    expect((await readFile(join(dir, 'file.bin'))).equals(changed)).toBe(true);
  });

  it('fails on a checksum mismatch naming both sums, and keeps nothing as complete', async () => {
    server.route('/file.bin', serveFile(payload));
    const err = await downloadFile(options('/file.bin', { sha256: otherSha })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChecksumMismatchError);
    expect((err as Error).message).toContain(`expected ${otherSha}, got ${payloadSha}`);
    expect(server.requests).toHaveLength(1); // a mismatch is not retried
    expect(await readdir(dir)).toEqual([]);
  });

  it('fails on a size mismatch', async () => {
    server.route('/file.bin', serveFile(payload));
    await expect(downloadFile(options('/file.bin', { bytes: payload.length + 1 }))).rejects.toThrow(`size mismatch: expected ${payload.length + 1} bytes, got ${payload.length} bytes`);
    expect(await readdir(dir)).toEqual([]);
  });

  it('reports a 404 with the status and URL, without retrying', async () => {
    const err = await downloadFile(options('/missing.bin', { retries: 3 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DownloadError);
    expect((err as DownloadError).status).toBe(404);
    expect((err as Error).message).toBe(`HTTP 404 Not Found (${server.url('/missing.bin')})`);
    expect(server.requests).toHaveLength(1);
    expect(await readdir(dir)).toEqual([]);
  });

  it('retries server errors with backoff and gives up after the bounded number of attempts', async () => {
    server.route('/flaky.bin', (_req, res) => {
      res.writeHead(503, 'Service Unavailable');
      res.end();
    });
    const started = Date.now();
    const err = await downloadFile(options('/flaky.bin', { retries: 2, retryDelayMs: 20 })).catch((e: unknown) => e);
    expect((err as Error).message).toBe(`HTTP 503 Service Unavailable; gave up after 3 attempts (${server.url('/flaky.bin')})`);
    expect(server.requests).toHaveLength(3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(20 + 40 - 5);
  });

  it('follows redirects (relative and absolute), and bounds them', async () => {
    server.route('/file.bin', serveFile(payload));
    server.route('/moved', (_req, res) => {
      res.writeHead(302, { location: '/file.bin' });
      res.end();
    });
    server.route('/old', (_req, res) => {
      res.writeHead(301, { location: server.url('/moved') });
      res.end();
    });
    const result = await downloadFile(options('/old', { sha256: payloadSha }));
    expect(result.sha256).toBe(payloadSha);
    expect(server.requests.map((r) => r.path)).toEqual(['/old', '/moved', '/file.bin']);

    server.route('/loop', (_req, res) => {
      res.writeHead(307, { location: '/loop' });
      res.end();
    });
    await expect(downloadFile(options('/loop', { dest: join(dir, 'loop.bin'), maxRedirects: 3 }))).rejects.toThrow(/more than 3 redirects/);
    expect(server.requestsTo('/loop')).toHaveLength(4);
  });

  it('records the sha256 of a file without a published one, then holds later downloads to it', async () => {
    server.route('/file.bin', serveFile(payload));
    const logs: string[] = [];
    const first = await downloadFile(options('/file.bin', { log: (m) => logs.push(m) }));
    expect(first.checksum).toBe('recorded');
    const lock = join(dir, 'file.bin.sha256');
    expect(await readFile(lock, 'utf8')).toBe(`${payloadSha}  file.bin\n`);
    expect(logs.join('\n')).toContain(`recorded the computed one (${payloadSha}) in ${lock}`);

    // Present and matching: no request at all.
    const again = await downloadFile(options('/file.bin'));
    expect(again).toMatchObject({ downloaded: false, checksum: 'locked', attempts: 0 });
    expect(server.requests).toHaveLength(1);

    // Gone, and the server now sends other bytes: refused, not silently accepted.
    await rm(join(dir, 'file.bin'));
    server.route('/file.bin', serveFile(Buffer.from('something else')));
    const err = await downloadFile(options('/file.bin')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChecksumMismatchError);
    expect((err as Error).message).toContain(`expected ${payloadSha}, got ${otherSha}`);
    expect((err as Error).message).toContain(lock);
    expect(await readdir(dir)).toEqual(['file.bin.sha256']);
  });

  it('downloads again a complete file that no longer matches the published sha256', async () => {
    server.route('/file.bin', serveFile(payload));
    await writeFile(join(dir, 'file.bin'), 'corrupted');
    const logs: string[] = [];
    const result = await downloadFile(options('/file.bin', { sha256: payloadSha, log: (m) => logs.push(m) }));
    expect(result.downloaded).toBe(true);
    expect(logs.join('\n')).toMatch(/does not match the published sha256 .*downloading it again/);
    expect((await readFile(join(dir, 'file.bin'))).equals(payload)).toBe(true);
  });

  it('abandons a stalled connection after the idle timeout', async () => {
    server.route('/stall.bin', (_req, res) => {
      res.writeHead(200, { 'content-length': payload.length });
      res.write(payload.subarray(0, 1000)); // then nothing
    });
    const err = await downloadFile(options('/stall.bin', { retries: 0, idleTimeoutMs: 150 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DownloadError);
    expect((err as Error).message).toMatch(/connection lost after 1000 of 300000 bytes: no data for 150 ms/);
  });

  it('uses the HTTP client it is given', async () => {
    const seen: string[] = [];
    const result = await downloadFile({
      url: 'https://example.invalid/file.bin',
      dest: join(dir, 'file.bin'),
      sha256: payloadSha,
      fetchImpl: async (url, request) => {
        seen.push(`${url} range=${request.headers.range ?? '-'}`);
        return {
          status: 200,
          statusText: 'OK',
          headers: { 'content-length': String(payload.length) },
          body: (async function* () {
            for (let at = 0; at < payload.length; at += 65_536) yield payload.subarray(at, at + 65_536);
          })(),
          destroy: () => undefined,
        };
      },
    });
    expect(seen).toEqual(['https://example.invalid/file.bin range=-']);
    expect(result).toMatchObject({ sha256: payloadSha, bytes: payload.length });
  });

  it('finishes a download whose bytes were all there but not yet renamed (HTTP 416)', async () => {
    server.route('/file.bin', serveFile(payload));
    await writeFile(join(dir, 'file.bin.part'), payload);
    await writeFile(join(dir, 'file.bin.part.json'), JSON.stringify({ url: server.url('/file.bin'), etag: '"v1"', total: payload.length }));
    const result = await downloadFile(options('/file.bin', { sha256: payloadSha }));
    expect(result.sha256).toBe(payloadSha);
    expect(server.requests[0]?.headers.range).toBe(`bytes=${payload.length}-`);
    expect(await readdir(dir)).toEqual(['file.bin']);
  });
});
