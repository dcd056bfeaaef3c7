// An archive with no published checksum (the lra_release archive's case) is read to its
// end before its sha256 is recorded as the reference; a file that is not whole is deleted, with
// what to do, and a bad file recorded by an earlier version is not reused.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downloadTaskSources } from '../../src/download/download-task-sources.js';
import { DownloadError } from '../../src/download/errors.js';
import { verifyArchive } from '../../src/download/verify-archive.js';
import { TestServer, serveFile } from './support/http-server.js';
import { tarGzBytes } from './support/tar-writer.js';

const train = 'Source\tTarget\n( ( ( [MAX 4 ) 3 ) ] )\t4\n( ( [SM 5 ) 7 ] )\t2\n';
const member = (name: string, data: string) => ({ path: `lra_release/listops-1000/${name}`, data });
// Enough incompressible bytes that a cut lands inside the gzip stream, not in its header.
const filler = createHash('sha512').update('x').digest('hex').repeat(200);
const release = tarGzBytes([
  member('basic_train.tsv', train),
  member('basic_val.tsv', 'Source\tTarget\n( ( [MIN 8 ) 6 ] )\t6\n'),
  member('basic_test.tsv', 'Source\tTarget\n( ( [MED 1 ) 9 ] )\t5\n'),
  member('README', filler),
]);
// A whole HTTP response of the first 70% of the archive: the case of a server (or proxy) that
// ends the body early without announcing a length, which no size check can see.
const truncated = release.subarray(0, Math.floor(release.length * 0.7));
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

let server: TestServer;
let dir: string;
let manifestPath: string;
beforeAll(async () => {
  server = await TestServer.start();
  server.route('/cut.gz', serveFile(truncated));
  server.route('/whole.gz', serveFile(release));
  dir = await mkdtemp(join(tmpdir(), 'lra-unverified-'));
  manifestPath = join(dir, 'sources.json');
  const archive = (url: string) => ({ title: 'release', url, file: 'lra_release.gz', bytes: null, sha256: null, homepage: url, notes: '' });
  await writeFile(
    manifestPath,
    JSON.stringify({
      formatVersion: 1,
      archives: { cut: archive(server.url('/cut.gz')), whole: archive(server.url('/whole.gz')) },
      tasks: {
        listops: { archive: 'cut', members: ['**/listops-1000/basic_*.tsv'], sourceFolder: 'listops-1000' },
        // A second task on the same file name, served whole: the rerun of the same download.
        retrieval: { archive: 'whole', members: ['**/listops-1000/basic_*.tsv'], sourceFolder: 'listops-1000' },
      },
    }),
  );
});
afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

describe('an archive with no published checksum', () => {
  it('verifyArchive reads a whole archive to its end and names the file of a cut one', async () => {
    const path = join(dir, 'probe.gz');
    await writeFile(path, release);
    expect(await verifyArchive(path)).toEqual({ format: 'tar.gz', members: 4 });
    await writeFile(path, truncated);
    await expect(verifyArchive(path)).rejects.toThrow(new RegExp(`^${path}: (gzip stream is corrupt or cut short|not a valid tar stream)`));
  });

  it('a truncated download is deleted, no sha256 is recorded, and the error says what to do', async () => {
    const dataDir = join(dir, 'cut');
    const err = await downloadTaskSources({ task: 'listops', dataDir, manifest: manifestPath, retries: 0 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DownloadError);
    const archive = join(dataDir, 'raw', 'downloads', 'lra_release.gz');
    expect((err as Error).message).toMatch(
      new RegExp(`^${archive}: the download is not a whole file \\(.+\\); it was deleted and no sha256 was recorded\\. .*run the command again to download it anew`),
    );
    expect(existsSync(archive)).toBe(false);
    expect(existsSync(`${archive}.sha256`)).toBe(false);
    expect(existsSync(`${archive}.part`)).toBe(false);
  });

  it('a bad file recorded as the reference by an earlier version is deleted with its sha256 and downloaded again', async () => {
    const dataDir = join(dir, 'rerun');
    const archive = join(dataDir, 'raw', 'downloads', 'lra_release.gz');
    await mkdir(join(dataDir, 'raw', 'downloads'), { recursive: true });
    await writeFile(archive, truncated);
    await writeFile(`${archive}.sha256`, `${sha(truncated)}  lra_release.gz\n`);
    const logs: string[] = [];
    const result = await downloadTaskSources({ task: 'retrieval', dataDir, manifest: manifestPath, log: (m) => logs.push(m) });
    expect(result).toMatchObject({ downloaded: true, extracted: true, sha256: sha(release) });
    expect(await readFile(`${archive}.sha256`, 'utf8')).toBe(`${sha(release)}  lra_release.gz\n`);
    expect(logs.join('\n')).toMatch(/is not a whole file \(.+\); deleted it and the sha256 recorded for it in .*lra_release\.gz\.sha256, downloading it again/);
  });
});
