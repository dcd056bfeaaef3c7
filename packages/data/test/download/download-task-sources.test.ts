import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downloadTaskSources } from '../../src/download/download-task-sources.js';
import { defaultSourcesManifestPath, parseSourcesManifest, readSourcesManifest } from '../../src/download/sources-manifest.js';
import { DataSourceError } from '../../src/errors.js';
import { getTask } from '../../src/tasks/registry.js';
import { TestServer, serveFile } from './support/http-server.js';
import { tarGzBytes } from './support/tar-writer.js';

const train = 'Source\tTarget\n( ( ( [MAX 4 ) 3 ) ] )\t4\n( ( [SM 5 ) 7 ] )\t2\n';
const val = 'Source\tTarget\n( ( [MIN 8 ) 6 ] )\t6\n';
const test = 'Source\tTarget\n( ( [MED 1 ) 9 ] )\t5\n';
// The nesting users report for the release: task folders under lra_release/lra_release/.
const release = tarGzBytes([
  { path: 'lra_release/', type: 'directory' },
  { path: 'lra_release/lra_release/listops-1000/basic_train.tsv', data: train },
  { path: 'lra_release/lra_release/listops-1000/basic_val.tsv', data: val },
  { path: 'lra_release/lra_release/listops-1000/basic_test.tsv', data: test },
  { path: 'lra_release/lra_release/listops-1000/README', data: 'not needed' },
  { path: 'lra_release/lra_release/tsv_data/new_aan_pairs.train.tsv', data: '1.0\ta\tb\tx\ty\n' },
]);
const imdb = tarGzBytes([{ path: 'aclImdb/train/unsup/0_0.txt', data: 'unlabelled' }]);

let server: TestServer;
let dir: string;
let manifestPath: string;
beforeAll(async () => {
  server = await TestServer.start();
  server.route('/lra_release.gz', serveFile(release));
  server.route('/aclImdb_v1.tar.gz', serveFile(imdb));
  dir = await mkdtemp(join(tmpdir(), 'lra-sources-'));
  manifestPath = join(dir, 'sources.test.json');
  const archive = (url: string, file: string, sha256: string | null) => ({ title: file, url, file, bytes: null, sha256, homepage: url, notes: '' });
  await writeFile(
    manifestPath,
    JSON.stringify({
      formatVersion: 1,
      archives: {
        lra_release: archive(server.url('/lra_release.gz'), 'lra_release.gz', null),
        aclImdb: archive(server.url('/aclImdb_v1.tar.gz'), 'aclImdb_v1.tar.gz', createHash('sha256').update(imdb).digest('hex')),
      },
      tasks: {
        listops: { archive: 'lra_release', members: ['**/listops-1000/basic_*.tsv'], sourceFolder: 'listops-1000' },
        text: { archive: 'aclImdb', members: ['aclImdb/train/pos/*.txt'], sourceFolder: 'aclImdb' },
      },
    }),
  );
});
afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

describe('downloadTaskSources', () => {
  it('downloads, records the unpublished sha256, extracts only the task files, and hands the reader its folder', async () => {
    const dataDir = join(dir, 'data');
    const logs: string[] = [];
    const phases = new Set<string>();
    const result = await downloadTaskSources({
      task: 'listops',
      dataDir,
      manifest: manifestPath,
      log: (m) => logs.push(m),
      onProgress: (_d, _t, phase) => phases.add(phase),
    });
    expect(relative(dataDir, result.sourceDir)).toBe('raw/listops/official/lra_release/lra_release/listops-1000');
    expect((await readdir(result.sourceDir)).sort()).toEqual(['basic_test.tsv', 'basic_train.tsv', 'basic_val.tsv']);
    expect([...phases].sort()).toEqual(['download', 'extract']);
    const sha = createHash('sha256').update(release).digest('hex');
    expect(result).toMatchObject({ sha256: sha, downloaded: true, extracted: true });
    expect(await readFile(join(dataDir, 'raw/downloads/lra_release.gz.sha256'), 'utf8')).toBe(`${sha}  lra_release.gz\n`);
    expect(logs.join('\n')).toMatch(/no published sha256 for lra_release\.gz; recorded/);

    // The folder is what the ListOps reader takes as --source.
    const split = await getTask('listops').read(result.sourceDir, 'train');
    expect(split.count).toBe(2);
    expect([...split.labels]).toEqual([4, 2]);

    // A rerun reuses the extraction: no request, nothing rewritten.
    const requests = server.requests.length;
    const again = await downloadTaskSources({ task: 'listops', dataDir, manifest: manifestPath });
    expect(again).toMatchObject({ sourceDir: result.sourceDir, downloaded: false, extracted: false, sha256: sha });
    expect(server.requests.length).toBe(requests);
  });

  it('says what the archive holds when no member matches', async () => {
    const err = await downloadTaskSources({ task: 'text', dataDir: join(dir, 'data2'), manifest: manifestPath }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataSourceError);
    expect((err as Error).message).toMatch(/no member of .*aclImdb_v1\.tar\.gz matches aclImdb\/train\/pos\/\*\.txt; it holds e\.g\. aclImdb\/train\/unsup\/0_0\.txt/);
  });

  it('names the tasks it knows for an unknown one', async () => {
    await expect(downloadTaskSources({ task: 'nope', dataDir: dir, manifest: manifestPath })).rejects.toThrow(/no download source for task "nope" .* it lists: listops, text/);
  });
});

describe('sources manifest', () => {
  it('the repository manifest covers all six tasks with the published checksums', async () => {
    const manifest = await readSourcesManifest(defaultSourcesManifestPath());
    expect(Object.keys(manifest.tasks).sort()).toEqual(['image', 'listops', 'pathfinder', 'pathx', 'retrieval', 'text']);
    expect(manifest.archives.aclImdb).toMatchObject({ bytes: 84125825, sha256: 'c40f74a18d3b61f90feba1e17730e0d38e8b97c05fde7008942e91923d1658fe' });
    expect(manifest.archives.cifar10_binary).toMatchObject({ bytes: 170052171, sha256: 'c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd' });
    expect(manifest.archives.lra_release).toMatchObject({ url: 'https://storage.googleapis.com/long-range-arena/lra_release.gz', sha256: null });
  });

  it('rejects unknown keys, bad checksums and dangling archive names, naming the field', () => {
    const ok = { formatVersion: 1, archives: { a: { title: 't', url: 'https://x/y.tar.gz', file: 'y.tar.gz', bytes: null, sha256: null, homepage: 'h', notes: '' } }, tasks: { t: { archive: 'a', members: ['*'], sourceFolder: 'y' } } };
    expect(() => parseSourcesManifest(ok, 'm.json')).not.toThrow();
    const bad = (patch: (m: typeof ok) => unknown) => () => parseSourcesManifest(patch(structuredClone(ok)), 'm.json');
    expect(bad((m) => ({ ...m, extra: 1 }))).toThrow('m.json: (root).extra: unknown key');
    expect(bad((m) => ({ ...m, archives: { a: { ...m.archives.a, sha256: 'abc' } } }))).toThrow('archives.a.sha256: must be 64 lower-case hex digits or null');
    expect(bad((m) => ({ ...m, archives: { a: { ...m.archives.a, url: 'ftp://x/y' } } }))).toThrow('archives.a.url: must be an http(s) URL');
    expect(bad((m) => ({ ...m, archives: { a: { ...m.archives.a, file: '../y' } } }))).toThrow('archives.a.file: must be a plain file name');
    expect(bad((m) => ({ ...m, tasks: { t: { ...m.tasks.t, archive: 'b' } } }))).toThrow('tasks.t.archive: no archive "b" (known: a)');
    expect(bad((m) => ({ ...m, tasks: { t: { ...m.tasks.t, members: [] } } }))).toThrow('tasks.t.members: must be a non-empty array');
  });
});
