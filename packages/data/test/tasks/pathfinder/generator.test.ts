import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodePngGray } from '../../../src/png/decode.js';
import {
  generatePathfinder,
  pathfinderBatchStimuli,
  resolvePathfinderGeneratorOptions,
} from '../../../src/tasks/pathfinder/generator.js';
import { parsePathfinderMetadataLine } from '../../../src/tasks/pathfinder/metadata.js';
import { renderPathfinderContourMap, renderPathfinderStimulus } from '../../../src/tasks/pathfinder/render.js';
import type { PathfinderStimulus } from '../../../src/tasks/pathfinder/stimulus.js';
import { pathfinder } from '../../../src/tasks/pathfinder.js';
import { pathx } from '../../../src/tasks/pathx.js';
import type { SplitName } from '../../../src/types.js';
import { flat } from '../../synthetic-split.js';

/** 8-connected flood fill over non-zero pixels from (y0, x0); whether it reaches (y1, x1). */
function connected(pixels: Uint8Array, side: number, y0: number, x0: number, y1: number, x1: number): boolean {
  if (pixels[y0 * side + x0] === 0 || pixels[y1 * side + x1] === 0) return false;
  const seen = new Uint8Array(side * side);
  const stack = [y0 * side + x0];
  seen[stack[0]!] = 1;
  while (stack.length > 0) {
    const k = stack.pop()!;
    if (k === y1 * side + x1) return true;
    const y = Math.floor(k / side);
    const x = k % side;
    for (let dy = -1; dy <= 1; dy++) {
      for (let dx = -1; dx <= 1; dx++) {
        const ny = y + dy;
        const nx = x + dx;
        if (ny < 0 || nx < 0 || ny >= side || nx >= side) continue;
        const n = ny * side + nx;
        if (seen[n] === 0 && pixels[n] !== 0) {
          seen[n] = 1;
          stack.push(n);
        }
      }
    }
  }
  return false;
}

function markersConnected(stimulus: PathfinderStimulus, scale: number): boolean {
  const map = renderPathfinderContourMap(stimulus, scale);
  const fine = (v: number): number => Math.round((v + 0.5) * scale - 0.5);
  const [a, b] = stimulus.markers;
  return connected(map.pixels, map.side, fine(a.y), fine(a.x), fine(b.y), fine(b.x));
}

describe('pathfinder generator', () => {
  const options = resolvePathfinderGeneratorOptions({ seed: 7, count: 300, imagesPerBatch: 150 });

  it("uses LRA's 32x32 settings", () => {
    expect(options.settings).toMatchObject({
      side: 32,
      padding: 1,
      paddleLength: 2,
      markerRadius: 1.5,
      contourLength: 14,
      paddleThickness: 0.5,
      antialiasScale: 2,
      seedDistance: 7,
      continuity: 1,
      distractorLength: 4,
      distractorCount: 5,
      snakeContrasts: [2],
      paddleContrasts: [0.75],
      paddleMargins: [1],
    });
    expect(resolvePathfinderGeneratorOptions({}, 128).settings).toMatchObject({ side: 128, paddleMargins: [2, 3], seedDistance: 20, distractorCount: 8 });
  });

  it('puts both markers on one contour exactly when the label is 1 (flood fill)', () => {
    const stimuli = [...pathfinderBatchStimuli(options, 0)];
    const counts = [0, 0];
    for (const s of stimuli) {
      counts[s.label]!++;
      expect(markersConnected(s, 2)).toBe(s.label === 1);
      expect(s.contours[0]!.paddles).toHaveLength(14);
      expect(s.contours[1]!.paddles).toHaveLength(14);
      // The image itself: markers are drawn at the contour ends, as the brightest discs.
      const image = renderPathfinderStimulus(s, options.settings);
      for (const m of s.markers) expect(image[m.y * 32 + m.x]).toBeGreaterThan(200);
    }
    expect(counts).toEqual([75, 75]);
  });

  it('keeps labels balanced and places distractors', () => {
    let distractors = 0;
    let n = 0;
    for (const s of pathfinderBatchStimuli(options, 1)) {
      distractors += s.distractors;
      n++;
      expect(s.distractors).toBeLessThanOrEqual(5);
      for (const c of s.contours.slice(2)) expect(c.paddles).toHaveLength(4);
    }
    expect(n).toBe(150);
    expect(distractors / n).toBeGreaterThan(2);
  });

  it('writes the release layout that the reader reads back, deterministically from the seed', async () => {
    const a = await mkdtemp(join(tmpdir(), 'lra-pf-gen-'));
    const b = await mkdtemp(join(tmpdir(), 'lra-pf-gen-'));
    const input = { seed: 3, count: 120, imagesPerBatch: 50 };
    const { files } = await pathfinder.generator!.generate(a, input);
    await pathfinder.generator!.generate(b, input);
    const dir = join(a, 'pathfinder32', 'curv_contour_length_14');
    expect(files.map((f) => f.slice(dir.length + 1))).toEqual(['metadata/0.npy', 'metadata/1.npy', 'metadata/2.npy']);
    expect((await readdir(join(dir, 'imgs'))).sort()).toEqual(['0', '1', '2']);

    let ones = 0;
    for (const file of files) {
      const text = await readFile(file, 'utf8');
      expect(text.endsWith('\n')).toBe(true);
      expect(await readFile(file.replace(a, b), 'utf8')).toBe(text);
      for (const line of text.slice(0, -1).split('\n')) {
        expect(line).toMatch(/^imgs\/\d+ sample_\d+\.png \d+ [01] 1\.0 14 4 2 0\.5 1 1$/);
        const meta = parsePathfinderMetadataLine(line);
        if (typeof meta === 'string') throw new Error(meta);
        ones += meta.label;
        const png = await readFile(join(dir, meta.imageDir, meta.imageFile));
        expect(png.equals(await readFile(join(b, 'pathfinder32', 'curv_contour_length_14', meta.imageDir, meta.imageFile)))).toBe(true);
        const image = decodePngGray(png);
        expect([image.width, image.height]).toEqual([32, 32]);
        expect(Math.max(...image.pixels)).toBe(255);
      }
    }
    expect(ones).toBe(60);

    const counts: number[] = [];
    for (const split of ['train', 'val', 'test'] as SplitName[]) counts.push((await pathfinder.read(a, split)).count);
    expect(counts).toEqual([96, 12, 12]);

    const other = await mkdtemp(join(tmpdir(), 'lra-pf-gen-'));
    await pathfinder.generator!.generate(other, { ...input, seed: 4 });
    expect(await readFile(join(other, 'pathfinder32', 'curv_contour_length_14', 'metadata', '0.npy'), 'utf8')).not.toBe(
      await readFile(files[0]!, 'utf8'),
    );
    for (const d of [a, b, other]) await rm(d, { recursive: true });
  });

  it('generates Path-X at 128x128 with the release settings', async () => {
    const root = await mkdtemp(join(tmpdir(), 'lra-px-gen-'));
    const { options: used } = await pathx.generator!.generate(root, { seed: 2, count: 10, imagesPerBatch: 10 });
    expect((used as { settings: { side: number } }).settings.side).toBe(128);
    const train = await pathx.read(root, 'train');
    expect(train.count).toBe(8);
    expect(flat(train).tokens.length).toBe(8 * 16_384);
    await rm(root, { recursive: true });
    const stimuli = [...pathfinderBatchStimuli(resolvePathfinderGeneratorOptions({ seed: 9, count: 12, imagesPerBatch: 12 }, 128), 0)];
    for (const s of stimuli) expect(markersConnected(s, 1)).toBe(s.label === 1);
  });

  it('rejects unknown options and a size the task cannot read', () => {
    expect(() => resolvePathfinderGeneratorOptions({ colour: 1 } as never)).toThrow(/unknown option "colour"/);
    expect(() => resolvePathfinderGeneratorOptions({ settings: { wiggle: 1 } } as never)).toThrow(/unknown setting "wiggle"/);
    expect(() => resolvePathfinderGeneratorOptions({ settings: { paddleThickness: 0.75 } })).toThrow(/is not a whole number/);
    expect(() => pathx.generator!.resolveOptions({ settings: { side: 32 } })).toThrow(/reads 128x128 images/);
    expect(resolvePathfinderGeneratorOptions({ settings: { side: 48 } }).settings).toMatchObject({ side: 48, paddleLength: 3, seedDistance: 11 });
  });
});

describe('pathfinder preparation', () => {
  it('prepares a byte-identical cache twice from generated data', async () => {
    const { prepareTask } = await import('../../../src/prepare.js');
    const dataDir = await mkdtemp(join(tmpdir(), 'lra-pf-prep-'));
    const generate = { seed: 5, count: 60, imagesPerBatch: 30 };
    const first = await prepareTask({ task: 'pathfinder', dataDir, generate });
    const second = await prepareTask({ task: 'pathfinder', dataDir, generate });
    expect(second.manifest.splits).toEqual(first.manifest.splits);
    expect(first.manifest.splits.train).toMatchObject({ rows: 48, tokens: 48 * 1024 });
    expect(first.manifest.splits.test).toMatchObject({ rows: 6 });
    await rm(dataDir, { recursive: true });
  });
});
