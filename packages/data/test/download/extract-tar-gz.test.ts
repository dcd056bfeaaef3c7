import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArchiveError } from '../../src/download/errors.js';
import { extractTarGz, sniffArchiveFormat } from '../../src/download/extract-tar-gz.js';
import { tarBytes, tarGzBytes, type TarMember } from './support/tar-writer.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lra-extract-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function listFiles(root: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(root, { withFileTypes: true })) {
    const rel = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) out.push(...(await listFiles(join(root, entry.name), rel)));
    else out.push(rel);
  }
  return out.sort();
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

const release: TarMember[] = [
  { path: './lra_release/', type: 'directory' },
  { path: './lra_release/listops-1000/basic_train.tsv', data: 'Source\tTarget\n( [MAX 4 3 ] )\t4\n' },
  { path: './lra_release/listops-1000/basic_val.tsv', data: 'Source\tTarget\n' },
  { path: './lra_release/lra_release/tsv_data/new_aan_pairs.train.tsv', data: '1.0\ta\tb\tx\ty\n' },
  { path: './lra_release/lra_release/pathfinder32/curv_baseline/imgs/0/sample_0.png', data: Buffer.alloc(40, 1) },
];

describe('extractTarGz', () => {
  it('finds gzip from the magic bytes whatever the name, and extracts only the selected members', async () => {
    const archive = join(dir, 'lra_release.gz'); // a .tar.gz named .gz, as the LRA release is
    await writeFile(archive, tarGzBytes(release));
    expect(await sniffArchiveFormat(archive)).toBe('tar.gz');
    const dest = join(dir, 'out-listops');
    const progress: number[] = [];
    const result = await extractTarGz({ archive, destDir: dest, members: ['**/listops-1000/basic_*.tsv'], onProgress: (done) => progress.push(done) });
    expect(await listFiles(dest)).toEqual(['lra_release/listops-1000/basic_train.tsv', 'lra_release/listops-1000/basic_val.tsv']);
    expect(await readFile(join(dest, 'lra_release/listops-1000/basic_train.tsv'), 'utf8')).toBe('Source\tTarget\n( [MAX 4 3 ] )\t4\n');
    expect(result).toMatchObject({ format: 'tar.gz', members: 5, files: 2, bytes: Buffer.byteLength(`${release[1]?.data}${release[2]?.data}`) });
    expect(result.unmatchedExamples).toContain('lra_release/lra_release/tsv_data/new_aan_pairs.train.tsv');
    expect(progress.at(-1)).toBe((await stat(archive)).size);
    expect((await readdir(dir)).filter((n) => n.includes('.tmp-'))).toEqual([]);
  });

  it('reads a plain tar too, and replaces an earlier extraction whole', async () => {
    const archive = join(dir, 'plain.tar');
    await writeFile(archive, tarBytes(release));
    expect(await sniffArchiveFormat(archive)).toBe('tar');
    const dest = join(dir, 'out-plain');
    await mkdir(dest, { recursive: true });
    await writeFile(join(dest, 'stale.txt'), 'from an older extraction');
    await extractTarGz({ archive, destDir: dest, members: ['**/tsv_data/*.tsv'] });
    expect(await listFiles(dest)).toEqual(['lra_release/lra_release/tsv_data/new_aan_pairs.train.tsv']);
  });

  it('refuses a file that is neither gzip nor tar, saying what it starts with', async () => {
    const archive = join(dir, 'page.html');
    await writeFile(archive, '<html>Access denied</html>');
    await expect(extractTarGz({ archive, destDir: join(dir, 'never') })).rejects.toThrow(/neither a gzip stream .* it starts 3c 68 74 6d/);
    expect(await exists(join(dir, 'never'))).toBe(false);
  });

  for (const evil of ['../evil.txt', 'lra_release/../../evil.txt', '/tmp/evil.txt']) {
    it(`refuses the member ${evil} and writes nothing`, async () => {
      const archive = join(dir, 'evil.tar.gz');
      await writeFile(archive, tarGzBytes([{ path: 'lra_release/ok.txt', data: 'ok' }, { path: evil, data: 'pwned' }]));
      const dest = join(dir, 'sub', 'out-evil');
      const err = await extractTarGz({ archive, destDir: dest }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ArchiveError);
      expect((err as ArchiveError).member).toBe(evil);
      expect((err as Error).message).toMatch(/unsafe member path/);
      expect(await exists(dest)).toBe(false);
      expect(await exists(join(dir, 'evil.txt'))).toBe(false);
      expect(await readdir(join(dir, 'sub'))).toEqual([]);
    });
  }

  it('never creates symbolic links; copies hard links', async () => {
    const archive = join(dir, 'links.tar.gz');
    await writeFile(
      archive,
      tarGzBytes([
        { path: 'a/data.txt', data: 'payload' },
        { path: 'a/sym', type: 'symlink', linkPath: '/etc/passwd' },
        { path: 'a/hard', type: 'hardlink', linkPath: 'a/data.txt' },
      ]),
    );
    const dest = join(dir, 'out-links');
    const logs: string[] = [];
    const result = await extractTarGz({ archive, destDir: dest, log: (m) => logs.push(m) });
    expect(await listFiles(dest)).toEqual(['a/data.txt', 'a/hard']);
    expect(await readFile(join(dest, 'a/hard'), 'utf8')).toBe('payload');
    expect(result.skipped).toBe(1);
    expect(logs.join('\n')).toMatch(/skipped symbolic link a\/sym -> \/etc\/passwd/);
  });

  it('writes large and many small members exactly; a later member of the same path wins', async () => {
    const large = Buffer.from(Array.from({ length: (3 << 20) / 2 }, (_, i) => (i * 40503) >>> 8));
    const small = Array.from({ length: 100 }, (_, i) => ({ path: `imgs/${i % 7}/sample_${i}.png`, data: `png ${i}` }));
    const archive = join(dir, 'mixed.tar.gz');
    await writeFile(archive, tarGzBytes([...small, { path: 'big.bin', data: large }, { path: 'imgs/0/sample_0.png', data: 'replaced' }]));
    const dest = join(dir, 'out-mixed');
    const result = await extractTarGz({ archive, destDir: dest });
    expect(result.files).toBe(102);
    expect((await readFile(join(dest, 'big.bin'))).equals(large)).toBe(true);
    for (const { path, data } of small.slice(1)) expect(await readFile(join(dest, path), 'utf8')).toBe(data);
    expect(await readFile(join(dest, 'imgs/0/sample_0.png'), 'utf8')).toBe('replaced');
  });

  it('keeps the earlier extraction when the archive is cut short', async () => {
    const whole = tarGzBytes([{ path: 'big.bin', data: Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 7919) % 251)) }]);
    const archive = join(dir, 'cut.tar.gz');
    await writeFile(archive, whole.subarray(0, Math.floor(whole.length / 2)));
    const dest = join(dir, 'out-cut');
    await mkdir(dest, { recursive: true });
    await writeFile(join(dest, 'previous.txt'), 'kept');
    await expect(extractTarGz({ archive, destDir: dest })).rejects.toThrow(/gzip stream is corrupt or cut short|archive ends inside big\.bin/);
    expect(await listFiles(dest)).toEqual(['previous.txt']);
    expect((await readdir(dir)).filter((n) => n.startsWith('out-cut.tmp-'))).toEqual([]);
  });

  it('detects a corrupt gzip body (CRC)', async () => {
    const bytes = gzipSync(tarBytes([{ path: 'x.txt', data: 'x'.repeat(5000) }]), { level: 0 });
    bytes[bytes.length - 8] ^= 0xff; // the CRC32 in the gzip trailer
    const archive = join(dir, 'crc.tar.gz');
    await writeFile(archive, bytes);
    await expect(extractTarGz({ archive, destDir: join(dir, 'out-crc') })).rejects.toThrow(/gzip stream is corrupt or cut short/);
    expect(await exists(join(dir, 'out-crc'))).toBe(false);
  });
});
