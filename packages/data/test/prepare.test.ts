import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSplitArrow } from '../src/cache/arrow.js';
import { CacheError, DataFormatError, DataSourceError } from '../src/errors.js';
import { ensureTaskData, prepareTask } from '../src/prepare.js';
import { readListOpsSplit } from '../src/tasks/listops/reader.js';
import { flat } from './synthetic-split.js';
import { official, value, type Expr } from './tasks/listops/official-format.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lra-prepare-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const small = { seed: 3, counts: { train: 80, val: 20, test: 20 }, minLength: 10, maxLength: 50 };

async function sha256Of(path: string): Promise<string> {
  return createHash('sha256').update(await readFile(path)).digest('hex');
}

function collectLog(): { lines: string[]; log: (msg: string) => void } {
  const lines: string[] = [];
  return { lines, log: (msg: string) => lines.push(msg) };
}

/** A release-shaped folder with hand-written rows (one bad row in train). */
async function writeRelease(root: string): Promise<void> {
  const exprs: Expr[] = [['[MAX', 4, 3], ['[MED', 9, 0, 4, 7], ['[SM', 9, 8, 7], ['[MIN', 7, ['[MAX', 2, 5], 6]];
  const rows = exprs.map((e) => `${official(e)}\t${value(e)}`);
  await mkdir(join(root, 'listops-1000'), { recursive: true });
  const write = (split: string, lines: string[]): Promise<void> =>
    writeFile(join(root, 'listops-1000', `basic_${split}.tsv`), `Source\tTarget\r\n${lines.join('\r\n')}\r\n`);
  await write('train', [rows[0]!, rows[1]!, '( ( ( [MAX 4 ) 3 ) ] )\t7', rows[2]!]);
  await write('val', [rows[3]!]);
  await write('test', [rows[2]!, rows[0]!]);
}

describe('prepareTask with generated data', () => {
  it('generates official files under raw/, reads them back, and writes the Arrow cache and manifest', async () => {
    const dataDir = join(dir, 'gen');
    const prepared = await prepareTask({ task: 'listops', dataDir, generate: small });
    expect(prepared.variant).toMatch(/^generated-[0-9a-f]{8}$/);
    expect(prepared.dir).toBe(join(dataDir, 'cache', 'listops', prepared.variant));
    expect((await readdir(join(dataDir, 'raw', 'listops', prepared.variant))).sort()).toEqual([
      'basic_test.tsv',
      'basic_train.tsv',
      'basic_val.tsv',
    ]);
    expect((await readdir(prepared.dir)).sort()).toEqual(['manifest.json', 'sources.sha256', 'test.arrow', 'train.arrow', 'val.arrow', 'verified.json']);

    const manifest = JSON.parse(await readFile(join(prepared.dir, 'manifest.json'), 'utf8'));
    expect(manifest).toEqual(prepared.manifest);
    expect(manifest).toMatchObject({
      formatVersion: 3,
      task: 'listops',
      variant: prepared.variant,
      vocabVersion: 'listops-v1',
      seqLen: 2000,
      skipBad: false,
      tokenStorage: { type: 'uint8', idShift: 1, shardBytes: 1 << 28 },
      source: {
        kind: 'generated',
        generator: { ...small, maxDepth: 10, maxArgs: 10 },
        rawDir: join(dataDir, 'raw', 'listops', prepared.variant),
      },
    });
    for (const split of ['train', 'val', 'test'] as const) {
      const entry = manifest.splits[split];
      expect(entry.files).toHaveLength(1);
      const file = entry.files[0];
      const path = join(prepared.dir, file.file);
      expect(file.file).toBe(`${split}.arrow`);
      expect(entry.rows).toBe(small.counts[split]);
      expect(file.rows).toBe(small.counts[split]);
      expect(entry.skipped).toBe(0);
      expect(entry.bytes).toBe((await stat(path)).size);
      expect(file.bytes).toBe(entry.bytes);
      expect(file.sha256).toBe(await sha256Of(path));
      // The cache holds exactly what the reader makes of the generated files.
      const fromSource = await readListOpsSplit(join(dataDir, 'raw', 'listops', prepared.variant), split);
      const fromCache = await readSplitArrow(path);
      expect(flat(fromCache)).toEqual(flat(fromSource));
      expect(fromCache.labels).toEqual(fromSource.labels);
      expect(entry.tokens).toBe(fromSource.documents.totalTokens);
      const counts = new Array(10).fill(0);
      for (const label of fromSource.labels) counts[label]++;
      expect(entry.labelCounts).toEqual(counts);
      const raw = join(dataDir, 'raw', 'listops', prepared.variant, `basic_${split}.tsv`);
      const line = `${await sha256Of(raw)}  basic_${split}.tsv\n`;
      expect(entry.sources).toEqual({
        files: 1,
        bytes: (await stat(raw)).size,
        sha256: createHash('sha256').update(line).digest('hex'),
      });
    }
    expect(manifest).toMatchObject({ vocabSize: 17, numClasses: 10, sourceChecksums: { file: 'sources.sha256', files: 3 } });
    const listing = await readFile(join(prepared.dir, 'sources.sha256'), 'utf8');
    expect(manifest.sourceChecksums.sha256).toBe(createHash('sha256').update(listing).digest('hex'));
    const rawDir = join(dataDir, 'raw', 'listops', prepared.variant);
    const expected = await Promise.all(
      ['test', 'train', 'val'].map(async (split) => `${await sha256Of(join(rawDir, `basic_${split}.tsv`))}  basic_${split}.tsv\n`),
    );
    expect(listing).toBe(expected.join(''));
  });

  it('names the variant by the options, and by the length when it is not the LRA one', async () => {
    const dataDir = join(dir, 'names');
    const a = await prepareTask({ task: 'listops', dataDir, generate: small });
    const b = await prepareTask({ task: 'listops', dataDir, generate: { ...small, seed: 4 } });
    const c = await prepareTask({ task: 'listops', dataDir, generate: small, seqLen: 32 });
    const d = await prepareTask({ task: 'listops', dataDir, generate: small, variant: 'mine' });
    expect(b.variant).not.toBe(a.variant);
    expect(c.variant).toBe(`${a.variant}-len32`);
    expect(c.manifest.seqLen).toBe(32);
    expect(d.variant).toBe('mine');
    const truncated = await readSplitArrow(join(c.dir, 'train.arrow'));
    expect(Math.max(...Array.from({ length: truncated.count }, (_, i) => truncated.documents.length(i)))).toBe(32);
  });
});

describe('ensureTaskData', () => {
  it('uses a matching cache, and prepares again when a checksum fails', async () => {
    const dataDir = join(dir, 'ensure');
    const first = await ensureTaskData({ task: 'listops', dataDir, generate: small });
    const trainPath = join(first.prepared.dir, 'train.arrow');
    const good = await sha256Of(trainPath);
    const mtime = (await stat(trainPath)).mtimeMs;

    const again = collectLog();
    const second = await ensureTaskData({ task: 'listops', dataDir, generate: small, log: again.log });
    expect(again.lines).toEqual([`using the cache in ${first.prepared.dir}`]);
    expect((await stat(trainPath)).mtimeMs).toBe(mtime);
    for (const split of ['train', 'val', 'test'] as const) {
      expect(flat(second.splits[split])).toEqual(flat(first.splits[split]));
      expect(second.splits[split].labels).toEqual(first.splits[split].labels);
    }

    // Flip one byte in the middle of the training file.
    const bytes = await readFile(trainPath);
    bytes[bytes.length >> 1] ^= 0xff;
    await writeFile(trainPath, bytes);
    const repaired = collectLog();
    const third = await ensureTaskData({ task: 'listops', dataDir, generate: small, log: repaired.log });
    expect(repaired.lines[0]).toMatch(/^preparing the cache in .* again: it failed verification: .*train\.arrow: checksum mismatch/);
    expect(await sha256Of(trainPath)).toBe(good); // the generator is deterministic
    expect(flat(third.splits.train)).toEqual(flat(first.splits.train));
  });

  it('prepares again when the manifest was made with other options or is missing', async () => {
    const dataDir = join(dir, 'ensure2');
    const first = await ensureTaskData({ task: 'listops', dataDir, generate: small });
    const manifestPath = join(first.prepared.dir, 'manifest.json');
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8'));
    await writeFile(manifestPath, JSON.stringify({ ...manifest, seqLen: 100 }));
    const log1 = collectLog();
    await ensureTaskData({ task: 'listops', dataDir, generate: small, log: log1.log });
    expect(log1.lines[0]).toBe(`preparing the cache in ${first.prepared.dir} again: it does not match (seqLen 100, expected 2000)`);

    await rm(manifestPath);
    const log2 = collectLog();
    await ensureTaskData({ task: 'listops', dataDir, generate: small, log: log2.log });
    expect(log2.lines[0]).toMatch(/^generating listops into /);
    expect(JSON.parse(await readFile(manifestPath, 'utf8'))).toEqual(manifest);
  });
});

describe('preparing from official files', () => {
  let release: string;
  beforeAll(async () => {
    release = join(dir, 'lra_release');
    await writeRelease(release);
  });

  it('stops at the bad row, leaving an existing cache as it was', async () => {
    const dataDir = join(dir, 'official');
    const generated = await prepareTask({ task: 'listops', dataDir, generate: small, variant: 'official' });
    const manifestBefore = await readFile(join(generated.dir, 'manifest.json'), 'utf8');
    const err = await prepareTask({ task: 'listops', dataDir, source: release }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataFormatError);
    expect((err as Error).message).toBe(
      `${join(release, 'listops-1000', 'basic_train.tsv')}:4: label 7 disagrees with the expression, whose value is 4`,
    );
    expect(await readFile(join(generated.dir, 'manifest.json'), 'utf8')).toBe(manifestBefore);
  });

  it('skips and counts bad rows with skipBad, from the release root or the task folder', async () => {
    const dataDir = join(dir, 'official2');
    for (const source of [release, join(release, 'listops-1000')]) {
      const prepared = await prepareTask({ task: 'listops', dataDir, source, skipBad: true });
      expect(prepared.variant).toBe('official');
      expect(prepared.manifest.source).toEqual({ kind: 'official', path: source });
      expect(prepared.manifest.skipBad).toBe(true);
      expect(prepared.manifest.splits.train).toMatchObject({ rows: 3, skipped: 1 });
      expect(prepared.manifest.splits.val).toMatchObject({ rows: 1, skipped: 0 });
      expect(prepared.manifest.splits.test).toMatchObject({ rows: 2, skipped: 0 });
    }
    const data = await ensureTaskData({ task: 'listops', dataDir, source: join(release, 'listops-1000'), skipBad: true });
    expect(Array.from(data.splits.train.labels)).toEqual([4, 5, 4]);
    expect(data.splits.train.skipped).toBe(1);
  });

  it('with neither source nor generate, uses the official cache, and refuses a broken one', async () => {
    const dataDir = join(dir, 'official3');
    const prepared = await prepareTask({ task: 'listops', dataDir, source: release, skipBad: true });
    const log = collectLog();
    const data = await ensureTaskData({ task: 'listops', dataDir, log: log.log });
    expect(log.lines).toEqual([`using the cache in ${prepared.dir}`]);
    expect(Array.from(data.splits.test.labels)).toEqual([4, 4]);

    await writeFile(join(prepared.dir, 'val.arrow'), 'garbage');
    const err = await ensureTaskData({ task: 'listops', dataDir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CacheError);
    expect((err as Error).message).toContain('the official cache cannot be used: it failed verification');
    expect((err as Error).message).toContain('run `lra data prepare --task listops --source DIR`');
  });

  it('says what it looked for where when the source holds no ListOps files', async () => {
    const empty = join(dir, 'empty-release');
    await mkdir(empty, { recursive: true });
    await expect(prepareTask({ task: 'listops', dataDir: join(dir, 'x'), source: empty })).rejects.toThrow(
      new DataSourceError(
        `ListOps train split: no basic_train.tsv found; looked for ${join(empty, 'basic_train.tsv')} and ${join(empty, 'listops-1000', 'basic_train.tsv')}`,
      ),
    );
  });

  it('rejects unknown tasks, both a source and generate, and neither', async () => {
    await expect(prepareTask({ task: 'nope', dataDir: dir })).rejects.toThrow('unknown task "nope"; known: listops');
    await expect(prepareTask({ task: 'listops', dataDir: dir, source: release, generate: true })).rejects.toThrow(
      'prepare listops: give either a source folder or generate, not both',
    );
    await expect(prepareTask({ task: 'listops', dataDir: dir })).rejects.toThrow(DataSourceError);
    await expect(prepareTask({ task: 'listops', dataDir: dir, generate: { maxLen: 3 } })).rejects.toThrow('unknown option "maxLen"');
  });
});
