// The dashboard's HTTP server (node:http, no framework): the page, its JSON endpoints and the
// runs' own files, read-only. Every answer is computed from the files on each request, so the
// page shows live runs as they write; nothing is ever written.
//
//   GET /                      the page
//   GET /api/runs              {root, time, runs: DashboardRun[]}
//   GET /api/curves?run=ID     {id, train, val, test}: the run's metrics.jsonl records
//   GET /api/leaderboard       lra report's JSON (finished runs beside LRA's published numbers)
//   GET /files/ID/FILE         a report, plot or analysis file of a run (see served-file.ts)
import { createReadStream, existsSync, realpathSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { loadRuns } from '../report/find-runs.js';
import { buildLeaderboard } from '../report/leaderboard.js';
import { renderLeaderboardJson } from '../report/leaderboard-markdown.js';
import { MetricsCache } from './metrics-cache.js';
import { renderDashboardPage } from './page.js';
import { listRuns } from './run-list.js';
import { resolveServedFile } from './served-file.js';

const SECURITY_HEADERS = { 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-store' };

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, 'application/json; charset=utf-8', typeof value === 'string' ? value : `${JSON.stringify(value)}\n`);
}

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * On a loopback address, only requests that name a loopback host: a web page elsewhere whose own
 * name is made to resolve to 127.0.0.1 (DNS rebinding) sends its own name, and reads nothing.
 */
export function hostAllowed(hostHeader: string | undefined, loopbackOnly: boolean): boolean {
  if (!loopbackOnly) return true;
  if (hostHeader === undefined) return false;
  const name = hostHeader.startsWith('[') ? hostHeader.slice(0, hostHeader.indexOf(']') + 1) : hostHeader.split(':')[0]!;
  return LOOPBACK_NAMES.has(name.toLowerCase());
}

/** The request handler over RUNS (a folder that exists); loopbackOnly: see hostAllowed. */
export function dashboardHandler(runsFolder: string, loopbackOnly = true): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const root = realpathSync(resolve(runsFolder));
  const cache = new MetricsCache();
  const page = renderDashboardPage(runsFolder);
  return async (req, res) => {
    if (!hostAllowed(req.headers.host, loopbackOnly)) return sendJson(res, 403, { error: 'this dashboard answers to localhost only (lra dashboard --host chooses where it listens)' });
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return sendJson(res, 405, { error: `${req.method} is not served: the dashboard is read-only` });
    }
    // Only the path and the query are read; the host is irrelevant to a local server.
    const url = new URL(req.url ?? '/', 'http://dashboard.invalid');
    const path = req.url?.split('?')[0] ?? '/';
    if (path === '/' || path === '/index.html') return send(res, 200, 'text/html; charset=utf-8', page);
    if (path === '/api/runs') return sendJson(res, 200, { root: runsFolder, time: new Date().toISOString(), runs: await listRuns(root, cache) });
    if (path === '/api/curves') {
      const id = url.searchParams.get('run');
      // Looked up among the runs found, never joined to a path: an id cannot name anything else.
      const run = (await listRuns(root, cache)).find((r) => r.id === id);
      if (!run) return sendJson(res, 404, { error: `no run ${JSON.stringify(id)} under ${runsFolder}` });
      const { metrics } = cache.read(join(root, run.id, 'metrics.jsonl'));
      return sendJson(res, 200, { id: run.id, ...metrics });
    }
    if (path === '/api/leaderboard') return sendJson(res, 200, renderLeaderboardJson(buildLeaderboard(loadRuns([root]), [runsFolder])));
    if (path.startsWith('/files/')) {
      // The raw path, not url.pathname: URL parsing would already have resolved `..` segments.
      const file = resolveServedFile(root, path.slice('/files/'.length));
      if ('status' in file) return sendJson(res, file.status, { error: file.message });
      res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': file.contentType, 'Content-Length': statSync(file.path).size });
      if (req.method === 'HEAD') return void res.end();
      createReadStream(file.path).on('error', () => res.destroy()).pipe(res);
      return;
    }
    return sendJson(res, 404, { error: `nothing at ${path}` });
  };
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

export interface RunningDashboard {
  server: Server;
  url: string;
  /** Stops listening and ends open connections (the page's keep-alive ones too). */
  close(): Promise<void>;
}

/** Serves RUNS on host:port (port 0: any free one); resolves once it listens. */
export async function startDashboard(opts: { runs: string; host: string; port: number }): Promise<RunningDashboard> {
  if (!existsSync(opts.runs) || !statSync(opts.runs).isDirectory()) throw new Error(`${opts.runs}: no such folder (RUNS is a folder of runs, e.g. runs/)`);
  const handle = dashboardHandler(opts.runs, isLoopback(opts.host));
  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: err instanceof Error ? err.message : String(err) });
      else res.destroy();
    });
  });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(opts.port, opts.host, () => {
      server.off('error', fail);
      done();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    server,
    url: `http://${host}:${address.port}/`,
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}
