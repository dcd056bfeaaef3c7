import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestServer, serveFile } from '../../../data/test/download/support/http-server.js';
import { tarGzBytes } from '../../../data/test/download/support/tar-writer.js';

const root = resolve(__dirname, '../../../..');
const bin = join(root, 'packages/trainer/bin/lra.js');

function lra(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: root, env: { ...process.env, LRA_LOG_LEVEL: 'warn' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => done({ code, stdout, stderr }));
  });
}

const release = tarGzBytes([
  { path: 'lra_release/listops-1000/basic_train.tsv', data: 'Source\tTarget\n( ( ( [MAX 4 ) 3 ) ] )\t4\n( ( [SM 5 ) 7 ] )\t2\n' },
  { path: 'lra_release/listops-1000/basic_val.tsv', data: 'Source\tTarget\n( ( [MIN 8 ) 6 ] )\t6\n' },
  { path: 'lra_release/listops-1000/basic_test.tsv', data: 'Source\tTarget\n( ( [MED 1 ) 9 ] )\t5\n' },
]);

describe('lra data prepare --download', () => {
  let server: TestServer;
  let dir: string;
  beforeAll(async () => {
    if (!existsSync(join(root, 'packages/trainer/dist/cli/main.js'))) spawnSync('npx', ['tsc', '-b'], { cwd: root, stdio: 'inherit' });
    server = await TestServer.start();
    server.route('/lra_release.gz', serveFile(release));
    dir = mkdtempSync(join(tmpdir(), 'lra-cli-download-'));
  }, 180_000);
  afterAll(async () => server.close());

  it('downloads from the manifest, verifies, extracts and prepares the cache', async () => {
    const manifest = join(dir, 'sources.json');
    const archive = { title: 'release', url: server.url('/lra_release.gz'), file: 'lra_release.gz', bytes: null, sha256: null, homepage: server.url('/'), notes: '' };
    writeFileSync(manifest, JSON.stringify({ formatVersion: 1, archives: { lra_release: archive }, tasks: { listops: { archive: 'lra_release', members: ['**/listops-1000/basic_*.tsv'], sourceFolder: 'listops-1000' } } }));
    const out = join(dir, 'data');
    const r = await lra(['data', 'prepare', '--task', 'listops', '--download', '--sources', manifest, '--out', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const prepared = JSON.parse(r.stdout);
    expect(prepared).toMatchObject({ task: 'listops', variant: 'official' });
    expect(existsSync(join(prepared.dir, 'train.arrow'))).toBe(true);
    const inspect = await lra(['data', 'inspect', '--task', 'listops', '--split', 'train', '--data-dir', out, '--json']);
    expect(inspect.code, inspect.stderr).toBe(0);
    expect(JSON.parse(inspect.stdout)).toMatchObject({ count: 2, labelCounts: [0, 0, 1, 0, 1, 0, 0, 0, 0, 0] });
  }, 60_000);

  it('refuses ambiguous or missing data sources in one line', async () => {
    const r = await lra(['data', 'prepare', '--task', 'listops', '--generate', '--download']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('lra: error: data prepare: give exactly one of --source DIR (the official files), --download or --generate');
  });
});
