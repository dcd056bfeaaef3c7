import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, rmSync, symlinkSync } from 'node:fs';
import { request } from 'node:http';
import { join, resolve } from 'node:path';
import { selectBackend } from '@lra/models';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostAllowed, type RunningDashboard, startDashboard } from '../../src/dashboard/server.js';
import type { DashboardRun } from '../../src/dashboard/run-list.js';
import { type RunsFixture, writeRunsFixture } from './fixtures.js';

/** A GET with the path sent exactly as written: fetch() would resolve `..` segments first. */
function rawGet(url: string, path: string, method = 'GET', headers: Record<string, string> = {}): Promise<{ status: number; type: string; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((done, fail) => {
    const req = request({ host: hostname, port, path, method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => done({ status: res.statusCode!, type: String(res.headers['content-type']), body }));
    });
    req.on('error', fail);
    req.end();
  });
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  expect(res.status, url).toBe(200);
  return (await res.json()) as T;
}

describe('the dashboard server', () => {
  let fixture: RunsFixture;
  let dashboard: RunningDashboard;
  const runs = async () => (await getJson<{ runs: DashboardRun[] }>(`${dashboard.url}api/runs`)).runs;

  beforeAll(async () => {
    await selectBackend('cpu');
    fixture = writeRunsFixture();
    dashboard = await startDashboard({ runs: fixture.root, host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => dashboard?.close());

  it('listens on a free port of 127.0.0.1 and serves the page', async () => {
    expect(dashboard.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await rawGet(dashboard.url, '/');
    expect(page.status).toBe(200);
    expect(page.type).toBe('text/html; charset=utf-8');
    expect(page.body).toContain('<table id="runs">');
    expect(page.body).toContain(fixture.root);
  });

  it('lists every run with its status, progress, accuracies, speed and files', async () => {
    const list = await runs();
    expect(list.map((r) => [r.id, r.mixer, r.seed, r.status])).toEqual([
      ['listops-attention-tiny-s1', 'attention', 1, 'finished'],
      ['listops-fftnet-tiny-s1', 'fftnet', 1, 'finished'],
      ['listops-performer-tiny-s1', 'performer', 1, 'failed'],
      ['sweep/listops-fnet-tiny-s2', 'fnet', 2, 'running'],
    ]);
    const [attention, fftnet, failed, running] = list as [DashboardRun, DashboardRun, DashboardRun, DashboardRun];
    expect(attention).toMatchObject({ task: 'listops', preset: 'tiny', steps: 100, lastStep: 100, progress: 1, testAccuracy: 0.288, lastValAccuracy: 0.321, stepsPerSec: 4 });
    expect(fftnet.bestValAccuracy).toBe(0.471);
    expect(fftnet.files).toEqual(['report.md', 'report.json', 'config.json', 'metrics.jsonl', 'plots/loss.svg']);
    // Progress of unfinished runs from metrics.jsonl against train.steps; no test accuracy yet.
    expect(running).toMatchObject({ lastStep: 50, steps: 100, progress: 0.5, testAccuracy: null, bestValAccuracy: 0.247, stepsPerSec: 4.9 });
    expect(failed).toMatchObject({ lastStep: 25, progress: 0.25, bestValAccuracy: null });
    expect(running.updatedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('follows a live run as metrics.jsonl grows, and marks it failed once its lock is gone', async () => {
    const dir = join(fixture.root, 'sweep', 'listops-fnet-tiny-s2');
    // The fixture's last line was cut short by a kill; a new line starts after it.
    appendFileSync(join(dir, 'metrics.jsonl'), '\n{"type":"train","step":80,"lr":0.0008,"loss":2.1,"accuracy":0.2,"stepsPerSec":5.5,"tokensPerSec":9000}\n');
    const live = (await runs()).find((r) => r.id === 'sweep/listops-fnet-tiny-s2')!;
    expect(live).toMatchObject({ status: 'running', lastStep: 80, progress: 0.8, stepsPerSec: 5.5 });
    const curves = await getJson<{ train: Array<{ step: number }> }>(`${dashboard.url}api/curves?run=${encodeURIComponent('sweep/listops-fnet-tiny-s2')}`);
    expect(curves.train.map((r) => r.step)).toEqual([25, 50, 80]);
    rmSync(join(dir, 'run.lock'));
    expect((await runs()).find((r) => r.id === 'sweep/listops-fnet-tiny-s2')!.status).toBe('failed');
  });

  it('gives a run\'s curves from metrics.jsonl, and 404 for a name that is not a run', async () => {
    const curves = await getJson<{ id: string; train: Array<{ step: number; loss: number }>; val: Array<{ step: number; accuracy: number }>; test: { accuracy: number } }>(
      `${dashboard.url}api/curves?run=listops-attention-tiny-s1`,
    );
    expect(curves.id).toBe('listops-attention-tiny-s1');
    expect(curves.train.map((r) => [r.step, r.loss])).toEqual([[25, 2.35], [50, 2.27], [75, 2.24], [100, 2.08]]);
    expect(curves.val.map((r) => [r.step, r.accuracy])).toEqual([[50, 0.247], [100, 0.321]]);
    expect(curves.test.accuracy).toBe(0.288);
    for (const id of ['nope', '..', '../runs', 'sweep']) expect((await rawGet(dashboard.url, `/api/curves?run=${encodeURIComponent(id)}`)).status, id).toBe(404);
  });

  it('gives the leaderboard of finished runs beside the published numbers', async () => {
    const lb = await getJson<{ runs: { finished: number; unfinished: number }; entries: Array<{ mixer: string; testAccuracy: { mean: number }; published: { model: string } | null }>; lraComparison: unknown[] }>(
      `${dashboard.url}api/leaderboard`,
    );
    expect(lb.runs).toEqual({ finished: 2, unfinished: 2 });
    expect(lb.entries.map((e) => [e.mixer, e.testAccuracy.mean, e.published?.model ?? null])).toEqual([
      ['attention', expect.closeTo(28.8, 6), 'Transformer'],
      ['fftnet', expect.closeTo(41, 6), null],
    ]);
    expect(lb.lraComparison.length).toBeGreaterThan(0);
  });

  it('serves a run\'s report files read-only, with their content types', async () => {
    const md = await rawGet(dashboard.url, '/files/listops-fftnet-tiny-s1/report.md');
    expect([md.status, md.type, md.body]).toEqual([200, 'text/markdown; charset=utf-8', '# listops / fftnet\n']);
    const svg = await rawGet(dashboard.url, '/files/listops-fftnet-tiny-s1/plots/loss.svg');
    expect([svg.status, svg.type]).toEqual([200, 'image/svg+xml']);
    expect(JSON.parse((await rawGet(dashboard.url, '/files/sweep/listops-fnet-tiny-s2/config.json')).body).mixer).toBe('fnet');
    expect((await rawGet(dashboard.url, '/files/listops-fftnet-tiny-s1/analysis/index.html')).status).toBe(404);
    expect((await rawGet(dashboard.url, '/files/listops-fftnet-tiny-s1/report.md', 'POST')).status).toBe(405);
  });

  it('refuses every path out of the runs folder, and files that are not reports', async () => {
    symlinkSync(fixture.secret, join(fixture.root, 'link-out.json'));
    const attempts = [
      '/files/../secret.json',
      '/files/%2e%2e/secret.json',
      '/files/..%2fsecret.json',
      '/files/listops-fftnet-tiny-s1/..%2F..%2Fsecret.json',
      '/files/listops-fftnet-tiny-s1/%2e%2e/%2e%2e/secret.json',
      '/files/listops-fftnet-tiny-s1/..%5c..%5csecret.json',
      `/files/${encodeURIComponent(fixture.secret)}`,
      '/files//etc/passwd',
      '/files/link-out.json',
      '/files/listops-fftnet-tiny-s1/checkpoints/last.ckpt',
    ];
    for (const path of attempts) {
      const res = await rawGet(dashboard.url, path);
      expect(res.status, path).toBe(403);
      expect(res.body, path).not.toContain('secret');
    }
    expect((await rawGet(dashboard.url, '/files/%E0%A4%A')).status).toBe(404);
    expect((await rawGet(dashboard.url, '/files/no-such-run/report.json')).status).toBe(404);
    expect((await rawGet(dashboard.url, '/etc/passwd')).status).toBe(404);
  });

  it('answers to localhost names only, so a rebound foreign name reads nothing', async () => {
    const port = new URL(dashboard.url).port;
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, 'LOCALHOST'])
      expect((await rawGet(dashboard.url, '/api/runs', 'GET', { host })).status, host).toBe(200);
    for (const host of [`evil.example:${port}`, 'evil.example', `127.0.0.1.evil.example:${port}`]) {
      const res = await rawGet(dashboard.url, '/files/listops-fftnet-tiny-s1/report.md', 'GET', { host });
      expect(res.status, host).toBe(403);
      expect(res.body).toContain('localhost only');
    }
    expect(hostAllowed('[::1]:8080', true)).toBe(true);
    expect(hostAllowed('[::1]', true)).toBe(true);
    expect(hostAllowed(undefined, true)).toBe(false);
    expect(hostAllowed('machine.lan:8080', false)).toBe(true);
  });
});

describe('lra dashboard', () => {
  const repo = resolve(__dirname, '../../../..');
  const bin = join(repo, 'packages/trainer/bin/lra.js');

  beforeAll(() => {
    // `make test` builds first; a bare `vitest run` on a fresh clone builds here.
    if (!existsSync(join(repo, 'packages/trainer/dist/cli/main.js'))) spawnSync('npx', ['tsc', '-b'], { cwd: repo, stdio: 'inherit' });
  }, 180_000);

  it('prints its URL, serves until Ctrl-C, then stops cleanly with exit code 0', async () => {
    const { root } = writeRunsFixture();
    const child = spawn(process.execPath, [bin, 'dashboard', root, '--port', '0'], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const url = await new Promise<string>((done, fail) => {
      let out = '';
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        const m = /lra dashboard: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
        if (m) done(m[1]!);
      });
      child.on('exit', (code) => fail(new Error(`exited ${code} before printing its URL: ${stderr}`)));
    });
    const list = await getJson<{ runs: DashboardRun[] }>(`${url}api/runs`);
    expect(list.runs).toHaveLength(4);
    const exit = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    child.kill('SIGINT');
    expect(await exit).toBe(0);
    expect(stderr).toContain('lra dashboard: stopped');
  }, 60_000);

  it('refuses a RUNS folder that does not exist, in one line', () => {
    const r = spawnSync(process.execPath, [bin, 'dashboard', '/no/such/runs'], { cwd: repo, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe('lra: error: /no/such/runs: no such folder (RUNS is a folder of runs, e.g. runs/)');
  });
});
