import { createHash } from 'node:crypto';
import { appendFile, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataFormatError, DataSourceError } from '../../../src/errors.js';
import { encodePngGray } from '../../../src/png/encode.js';
import { parsePathfinderMetadataLine } from '../../../src/tasks/pathfinder/metadata.js';
import { pathfinderSplitRange, tfdsRecordOrder } from '../../../src/tasks/pathfinder/order.js';
import { pathxLayout, readPathfinderSplit, sortMetadataFiles } from '../../../src/tasks/pathfinder/reader.js';
import { pathfinder } from '../../../src/tasks/pathfinder.js';
import { pathx } from '../../../src/tasks/pathx.js';
import type { SplitName } from '../../../src/types.js';
import { fixturePixels, metadataLine, writeReleaseFixture, type FixtureImage } from './fixture.js';
import { flat } from '../../synthetic-split.js';

/** TFDS's order, computed independently: sort by the MD5 hex digest read as a BigInt. */
function referenceOrder(keys: string[], salt: string): number[] {
  const hash = (k: string): bigint => BigInt(`0x${createHash('md5').update(salt + k).digest('hex')}`);
  return keys.map((k, i) => [hash(k), i] as const).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([, i]) => i);
}

/** Keys of the fixture's images, in numeric batch order, as LRA's builder makes them. */
function fixtureKeys(images: FixtureImage[]): string[] {
  return images.map((im) => `imgs/${im.batch}_sample_${im.index}.png_${im.index + 1}`);
}

describe('pathfinder record order and splits', () => {
  it('orders records as TFDS does (values from Python hashlib)', () => {
    // sorted(range(6), key=lambda i: int(md5(b'hard' + key_i).hexdigest(), 16)) in Python
    const keys = Array.from({ length: 6 }, (_, i) => `imgs/0_sample_${i}.png_${i + 1}`);
    expect(Array.from(tfdsRecordOrder(keys, 'hard'))).toEqual([0, 1, 5, 4, 3, 2]);
    expect(createHash('md5').update('hardimgs/0_sample_0.png_1').digest('hex')).toBe('874b24b03db3f7070dd89df923bca83a');
  });

  it('agrees with an independent BigInt sort on many keys', () => {
    const keys = Array.from({ length: 500 }, (_, i) => `imgs/${i % 7}_sample_${i}.png_${(i % 50) + 1}`);
    expect(Array.from(tfdsRecordOrder(keys, 'hard'))).toEqual(referenceOrder(keys, 'hard'));
  });

  it('slices 80/10/10 with Python round() (halves to even), as TFDS closest rounding', () => {
    // Python: round(80 * 25 / 100.) = 20, round(90 * 25 / 100.) = round(22.5) = 22
    expect(pathfinderSplitRange('train', 25)).toEqual([0, 20]);
    expect(pathfinderSplitRange('val', 25)).toEqual([20, 22]);
    expect(pathfinderSplitRange('test', 25)).toEqual([22, 25]);
    // round(13.5) = 14, round(12.0) = 12
    expect(pathfinderSplitRange('val', 15)).toEqual([12, 14]);
    expect(pathfinderSplitRange('test', 200_000)).toEqual([180_000, 200_000]);
  });

  it('reads metadata files in numeric batch order', () => {
    expect(sortMetadataFiles(['10.npy', '2.npy', 'x.txt', '0.npy', 'combined.npy', '1.npy'])).toEqual([
      '0.npy',
      '1.npy',
      '2.npy',
      '10.npy',
      'combined.npy',
    ]);
  });
});

describe('pathfinder metadata lines', () => {
  it('parses the 11 fields', () => {
    expect(parsePathfinderMetadataLine('imgs/3 sample_7.png 7 1 1.0 14 4 2 0.5 1 1')).toEqual({
      imageDir: 'imgs/3',
      imageFile: 'sample_7.png',
      index: 7,
      label: 1,
      continuity: 1,
      contourLength: 14,
      distractorLength: 4,
      paddleLength: 2,
      paddleThickness: 0.5,
      paddleMargin: 1,
      contrastCount: 1,
    });
  });

  it('says what is wrong with a bad line', () => {
    expect(parsePathfinderMetadataLine('imgs/3 sample_7.png 7 1 1.0 14 4 2 0.5 1')).toBe('expected 11 space-separated fields, found 10');
    expect(parsePathfinderMetadataLine('imgs/3 sample_7.png 7 yes 1.0 14 4 2 0.5 1 1')).toBe('label "yes" (field 4) is not an integer');
    expect(parsePathfinderMetadataLine('imgs/3 sample_7.png 7 2 1.0 14 4 2 0.5 1 1')).toBe('label 2 (field 4) is not 0 or 1');
    expect(parsePathfinderMetadataLine('imgs/3 sample_7.png 7 1 1.0 x 4 2 0.5 1 1')).toBe('contour_length "x" (field 6) is not a number');
    expect(parsePathfinderMetadataLine('../x sample_7.png 7 1 1.0 14 4 2 0.5 1 1')).toMatch(/has an empty, \. or \.\. part/);
    expect(parsePathfinderMetadataLine('')).toBe('empty line');
  });
});

describe('readPathfinderSplit', () => {
  it('reads the release layout field by field: label = field 3, tokens = grey + 1, TFDS order', async () => {
    const { root, images } = await writeReleaseFixture({ batches: ['0', '1', '2', '10'], perBatch: 5 });
    const order = referenceOrder(fixtureKeys(images), 'hard');
    const seen: number[] = [];
    for (const split of ['train', 'val', 'test'] as SplitName[]) {
      const data = await pathfinder.read(root, split);
      const [start, end] = pathfinderSplitRange(split, images.length);
      expect(data.count).toBe(end - start);
      expect(data.seqLen).toBe(1024);
      for (let r = 0; r < data.count; r++) {
        const image = images[order[start + r]!]!;
        expect(data.labels[r]).toBe(image.label);
        const tokens = flat(data).tokens.subarray(flat(data).offsets[r]!, flat(data).offsets[r + 1]!);
        expect(Array.from(tokens)).toEqual(Array.from(image.pixels, (p) => p + 1));
        seen.push(order[start + r]!);
      }
    }
    expect(seen.sort((a, b) => a - b)).toEqual(images.map((_, i) => i));
    await rm(root, { recursive: true });
  });

  it('finds its files from the release root, pathfinder32/ or the difficulty folder', async () => {
    const { root, dir } = await writeReleaseFixture();
    const a = await pathfinder.read(root, 'train');
    const b = await pathfinder.read(join(root, 'pathfinder32'), 'train');
    const c = await pathfinder.read(dir, 'train');
    expect(flat(b)).toEqual(flat(a));
    expect(Array.from(c.labels)).toEqual(Array.from(a.labels));
    await expect(pathfinder.read(join(root, 'nowhere'), 'train')).rejects.toThrow(DataSourceError);
    await expect(pathfinder.read(join(root, 'pathfinder32', 'curv_contour_length_14', 'imgs'), 'train')).rejects.toThrow(
      /no metadata\/ folder found; looked for .*pathfinder32\/curv_contour_length_14\/metadata/,
    );
    await rm(root, { recursive: true });
  });

  it('skips and counts empty images after slicing, as LRA filters them', async () => {
    const { root, dir, images } = await writeReleaseFixture({ perBatch: 10 });
    const order = referenceOrder(fixtureKeys(images), 'hard');
    const victim = images[order[3]!]!; // the 4th training record
    await writeFile(join(dir, 'imgs', victim.batch, `sample_${victim.index}.png`), '');
    const train = await readPathfinderSplit({ task: 'pathfinder', folder: 'pathfinder32', difficulty: 'curv_contour_length_14', side: 32 }, root, 'train');
    expect(train.emptyImages).toBe(1);
    expect(train.dropped).toBe(1);
    expect(train.skipped).toBe(0);
    expect(train.count).toBe(24 - 1);
    const val = await pathfinder.read(root, 'val');
    expect(val.count).toBe(3); // the boundaries count the empty image
    await rm(root, { recursive: true });
  });

  it('names the metadata file and line of a missing image; skipBad counts it', async () => {
    const { root, dir } = await writeReleaseFixture({ batches: ['0'], perBatch: 20 });
    await appendFile(join(dir, 'metadata', '0.npy'), `${metadataLine('0', 20, 1)}\n`);
    const file = join(dir, 'metadata', '0.npy');
    const errors: unknown[] = [];
    let skipped = 0;
    for (const split of ['train', 'val', 'test'] as SplitName[]) {
      try {
        await pathfinder.read(root, split);
      } catch (err) {
        errors.push(err);
      }
      skipped += (await pathfinder.read(root, split, { skipBad: true })).skipped;
    }
    expect(errors).toHaveLength(1);
    const err = errors[0] as DataFormatError;
    expect(err).toBeInstanceOf(DataFormatError);
    expect(err.file).toBe(file);
    expect(err.line).toBe(21);
    expect(err.reason).toMatch(/^image imgs\/0\/sample_20\.png does not exist/);
    expect(skipped).toBe(1);
    await rm(root, { recursive: true });
  });

  it('rejects bad lines, undecodable and wrong-size images with file, line and reason', async () => {
    const { root, dir } = await writeReleaseFixture({ batches: ['0'], perBatch: 10 });
    const file = join(dir, 'metadata', '0.npy');
    const lines = (await readFile(file, 'utf8')).split('\n');
    lines[1] = 'imgs/0 sample_1.png 1 1 1.0 14 4 2 0.5 1'; // 10 fields
    lines[2] = metadataLine('0', 2, '1.5');
    lines[3] = metadataLine('0', 3, 3);
    await writeFile(file, lines.join('\n'));
    const corrupt = Buffer.from(encodePngGray(32, 32, fixturePixels(32, 4)));
    corrupt[corrupt.indexOf('IDAT') + 5] ^= 1;
    await writeFile(join(dir, 'imgs', '0', 'sample_4.png'), corrupt);
    await writeFile(join(dir, 'imgs', '0', 'sample_5.png'), encodePngGray(31, 32, new Uint8Array(31 * 32)));
    await writeFile(join(dir, 'imgs', '0', 'sample_6.png'), 'not a png at all');

    const reasons = new Map<number, string>();
    let skipped = 0;
    for (const split of ['train', 'val', 'test'] as SplitName[]) {
      const data = await pathfinder.read(root, split, { skipBad: true });
      skipped += data.skipped;
    }
    expect(skipped).toBe(6);
    const expected: Record<number, RegExp> = {
      2: /^expected 11 space-separated fields, found 10$/,
      3: /^label "1.5" \(field 4\) is not an integer$/,
      4: /^label 3 \(field 4\) is not 0 or 1$/,
      5: /^image imgs\/0\/sample_4\.png does not decode: bad CRC in chunk IDAT/,
      6: /^image imgs\/0\/sample_5\.png is 31x32, expected 32x32$/,
      7: /^image imgs\/0\/sample_6\.png does not decode: not a PNG file/,
    };
    // One bad line at a time (the others replaced by good ones): reading must fail at that line.
    const good = (await readFile(file, 'utf8')).split('\n');
    for (const [line, pattern] of Object.entries(expected)) {
      const only = good.map((l, i) => (i + 1 === Number(line) || l === '' ? l : metadataLine('0', i, 0).replace(`sample_${i}`, 'sample_0')));
      await writeFile(file, only.join('\n'));
      let caught: DataFormatError | undefined;
      for (const split of ['train', 'val', 'test'] as SplitName[]) {
        await pathfinder.read(root, split).catch((err: unknown) => {
          caught = err as DataFormatError;
        });
      }
      expect(caught, `line ${line}`).toBeInstanceOf(DataFormatError);
      expect(caught!.file).toBe(file);
      expect(caught!.line).toBe(Number(line));
      expect(caught!.reason).toMatch(pattern);
      reasons.set(Number(line), caught!.reason);
    }
    expect(reasons.size).toBe(6);
    await rm(root, { recursive: true });
  });

  it('reads pathx from pathfinder128/ as 16,384 tokens', async () => {
    const { root, images } = await writeReleaseFixture({ side: 128, folder: 'pathfinder128', batches: ['0'], perBatch: 10 });
    const order = referenceOrder(fixtureKeys(images), 'hard');
    const test = await pathx.read(root, 'test');
    expect(pathx.seqLen).toBe(16_384);
    expect(test.count).toBe(1);
    expect(Array.from(flat(test).tokens)).toEqual(Array.from(images[order[9]!]!.pixels, (p) => p + 1));
    await expect(pathfinder.read(root, 'test')).rejects.toThrow(DataSourceError);
    expect(pathxLayout.folder).toBe('pathfinder128');
    await rm(root, { recursive: true });
  });
});
