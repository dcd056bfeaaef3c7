// The dashboard page in a real headless browser: Debian's chromium, driven by playwright-core.
// LRA_SKIP_BROWSER=1 skips it where no chromium can be installed; without that, a missing
// chromium fails the test and says how to install it. LRA_DASHBOARD_SCREENSHOT=docs/dashboard.png
// also saves the page's screenshot there (the picture in the docs).
import { appendFileSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { selectBackend } from '@lra/models';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningDashboard, startDashboard } from '../../src/dashboard/server.js';
import { decodePng } from '../report/png-decode.js';
import { type RunsFixture, writeRunsFixture } from './fixtures.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const VIEWPORT = { width: 1280, height: 1000 };

const SKIP = process.env.LRA_SKIP_BROWSER === '1';
const MISSING = `${CHROMIUM} not found: the dashboard's browser test needs Debian's chromium (apt-get install -y chromium); set LRA_SKIP_BROWSER=1 to skip it`;

// A missing browser is a failed test, counted as one, not a silently skipped suite.
describe.runIf(!SKIP && !existsSync(CHROMIUM))('the dashboard page without chromium', () => {
  it('needs chromium', () => {
    throw new Error(MISSING);
  });
});

describe.runIf(!SKIP && existsSync(CHROMIUM))('the dashboard page in headless chromium', () => {
  let fixture: RunsFixture;
  let dashboard: RunningDashboard;
  let context: BrowserContext;
  let page: Page;
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    await selectBackend('cpu');
    fixture = writeRunsFixture();
    dashboard = await startDashboard({ runs: fixture.root, host: '127.0.0.1', port: 0 });
    // A persistent context on a fresh folder: the browser's own --user-data-dir, nothing shared.
    context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'lra-chromium-')), {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: VIEWPORT,
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    await page.goto(dashboard.url);
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    await dashboard?.close();
  });

  it('lists the runs with their status and progress', async () => {
    await page.waitForSelector('#runs tbody tr[data-run]');
    const rows = await page.$$eval('#runs tbody tr[data-run]', (trs) => trs.map((tr) => [tr.getAttribute('data-run'), tr.querySelector('.status')!.className]));
    expect(rows).toEqual([
      ['listops-attention-tiny-s1', 'status finished'],
      ['listops-fftnet-tiny-s1', 'status finished'],
      ['listops-performer-tiny-s1', 'status failed'],
      ['sweep/listops-fnet-tiny-s2', 'status running'],
    ]);
    expect(await page.getAttribute('tr[data-run="sweep/listops-fnet-tiny-s2"] progress', 'value')).toBe('0.5');
    expect(await page.textContent('tr[data-run="listops-attention-tiny-s1"]')).toContain('28.80%');
  });

  it('shows the leaderboard beside the published numbers', async () => {
    await page.waitForSelector('#entries tbody tr');
    const rows = await page.$$eval('#entries tbody tr', (trs) => trs.map((tr) => tr.textContent));
    expect(rows).toHaveLength(2);
    expect(rows[0]).toContain('Transformer: 36.37');
    expect(await page.textContent('#lra-table-1')).toContain('28.80 (tiny)');
  });

  it('compares the selected runs on one chart, a path per run', async () => {
    await page.check('input[data-run="listops-attention-tiny-s1"]');
    await page.check('input[data-run="listops-fftnet-tiny-s1"]');
    await page.waitForFunction(() => document.querySelectorAll('#chart svg path.curve').length === 2);
    const paths = await page.$$eval('#chart svg path.curve', (ps) => ps.map((p) => [p.getAttribute('data-run'), p.getAttribute('d')!.split(/[ML]/).filter(Boolean).length, p.getAttribute('stroke')]));
    // Validation accuracy: two evaluations per run, each run its own colour.
    expect(paths).toEqual([
      ['listops-attention-tiny-s1', 2, '#1f77b4'],
      ['listops-fftnet-tiny-s1', 2, '#ff7f0e'],
    ]);
    // FFTNet's validation accuracy is higher: its line is drawn above (smaller y) at every step.
    const ys = await page.$$eval('#chart svg path.curve', (ps) => ps.map((p) => p.getAttribute('d')!.split(/[ML]/).filter(Boolean).map((xy) => Number(xy.split(',')[1]))));
    ys[1]!.forEach((y, i) => expect(y).toBeLessThan(ys[0]![i]!));
    await page.selectOption('#metric', 'train-loss');
    await page.waitForFunction(() => [...document.querySelectorAll('#chart svg path.curve')].every((p) => p.getAttribute('d')!.split('L').length === 4));
    await page.selectOption('#metric', 'val-accuracy');
  });

  it('refreshes a live run as it trains', async () => {
    await page.check('input[data-run="sweep/listops-fnet-tiny-s2"]');
    // One evaluation so far: a path of one point, which has no size (so 'attached', not 'visible').
    await page.waitForSelector('#chart svg path.curve[data-run="sweep/listops-fnet-tiny-s2"]', { state: 'attached' });
    const metrics = join(fixture.root, 'sweep', 'listops-fnet-tiny-s2', 'metrics.jsonl');
    appendFileSync(metrics, '\n{"type":"train","step":75,"lr":0.0007,"loss":2.2,"accuracy":0.2,"stepsPerSec":5,"tokensPerSec":9000}\n{"type":"val","step":75,"loss":2.0,"accuracy":0.3,"count":1000,"best":true}\n');
    // The page polls every 5 s: the live run's progress and its curve's second point appear.
    await page.waitForFunction(() => document.querySelector('tr[data-run="sweep/listops-fnet-tiny-s2"] progress')?.getAttribute('value') === '0.75', undefined, { timeout: 15_000 });
    await page.waitForFunction(() => document.querySelector('path.curve[data-run="sweep/listops-fnet-tiny-s2"]')!.getAttribute('d')!.split('L').length === 2, undefined, { timeout: 15_000 });
  }, 30_000);

  it('logs no console errors, and renders to a screenshot', async () => {
    expect(consoleErrors).toEqual([]);
    const shot = await page.screenshot({ fullPage: true });
    const image = decodePng(shot);
    expect(image.width).toBe(VIEWPORT.width);
    const target = process.env.LRA_DASHBOARD_SCREENSHOT;
    if (target) {
      await page.screenshot({ path: resolve(__dirname, '../../../..', target), fullPage: true });
      expect(readFileSync(resolve(__dirname, '../../../..', target)).subarray(1, 4).toString()).toBe('PNG');
    }
  });

  it('links the run\'s reports, served from the runs folder and nowhere else', async () => {
    const href = await page.getAttribute('tr[data-run="listops-fftnet-tiny-s1"] a[href$="/report.md"]', 'href');
    expect(href).toBe('/files/listops-fftnet-tiny-s1/report.md');
    const statuses = await page.evaluate(async () =>
      Promise.all(['/files/listops-fftnet-tiny-s1/report.md', '/files/..%2fsecret.json', '/files/%2e%2e/secret.json', '/files/listops-fftnet-tiny-s1/checkpoints/last.ckpt'].map(async (u) => (await fetch(u)).status)),
    );
    // The browser itself resolves %2e%2e (to /secret.json, not a file URL: 404); the rest reach the server's checks.
    expect(statuses).toEqual([200, 403, 404, 403]);
  });
});
