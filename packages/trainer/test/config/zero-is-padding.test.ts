// data.zeroIsPadding: LRA's image models mask grey level 0 as padding (transformer.py masks
// inputs == 0). The mask the model builds must mark exactly the black pixels of the real reader's
// output, and nothing else; tasks without a grey level 0 refuse the key.
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePngGray, getTask } from '@lra/data';
import { paddingMask } from '@lra/models';
import { resolveConfig } from '../../src/config/resolve.js';
import { classifierConfig } from '../../src/train/model-config.js';

const PIXELS = 1024;
// TensorFlow's grey level: trunc((0.2989 R + 0.5870 G + 0.1140 B) * 255.5 / 255). The colours
// are at least 0.1 away from the step to 1, so the reference needs no float32 subtleties.
const dark: Array<[number, number, number]> = [[0, 0, 0], [3, 0, 0], [0, 1, 0], [1, 0, 1], [0, 0, 7]];
const light: Array<[number, number, number]> = [[4, 0, 0], [0, 2, 0], [0, 0, 10], [255, 255, 255], [9, 3, 1]];

let dir: string;
let expectedZero: boolean[];

beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = await mkdtemp(join(tmpdir(), 'lra-zero-pad-'));
  const folder = join(dir, 'cifar-10-batches-bin');
  await mkdir(folder);
  const random = seedrandom('zero-is-padding');
  const images = 3;
  const bytes = new Uint8Array(images * (1 + 3 * PIXELS));
  expectedZero = [];
  for (let r = 0; r < images; r++) {
    const at = r * (1 + 3 * PIXELS);
    bytes[at] = r % 10;
    for (let i = 0; i < PIXELS; i++) {
      const isDark = random() < 0.6;
      const pool = isDark ? dark : light;
      const [red, green, blue] = pool[Math.floor(random() * pool.length)]!;
      bytes[at + 1 + i] = red;
      bytes[at + 1 + PIXELS + i] = green;
      bytes[at + 1 + 2 * PIXELS + i] = blue;
      expectedZero.push(((0.2989 * red + 0.587 * green + 0.114 * blue) * 255.5) / 255 < 1);
    }
  }
  await writeFile(join(folder, 'test_batch.bin'), bytes);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('data.zeroIsPadding', () => {
  it('makes the model mask exactly the pixels of grey level 0', async () => {
    const task = getTask('image');
    const split = await task.read(dir, 'test');
    const { config } = resolveConfig({ task: 'image', mixer: 'attention', preset: 'tiny', sets: ['data.zeroIsPadding=true'] });
    const model = classifierConfig(config, task);
    expect(model.paddingIds).toEqual([0, 1]);
    const tokens = new Int32Array(split.count * PIXELS);
    for (let r = 0; r < split.count; r++) tokens.set(split.documents.row(r), r * PIXELS);
    const ids = tf.tensor2d(tokens, [split.count, PIXELS], 'int32');
    const mask = paddingMask(ids, model.paddingIds);
    const masked = Array.from(mask.dataSync(), (v) => v === 0);
    tf.dispose([ids, mask]);
    expect(masked.length).toBe(expectedZero.length);
    expect(masked.filter((m, i) => m !== expectedZero[i]).length).toBe(0);
    // Both kinds occur, so the comparison says something.
    expect(masked.filter(Boolean).length).toBeGreaterThan(1000);
    expect(masked.filter((m) => !m).length).toBeGreaterThan(1000);
  });

  it('makes the model mask exactly the black pixels of Pathfinder images (release PNGs)', async () => {
    // A 32x32 release layout of 10 images, about 80% black as Pathfinder's are.
    const release = join(dir, 'pf');
    const images = join(release, 'pathfinder32', 'curv_contour_length_14');
    await mkdir(join(images, 'imgs', '0'), { recursive: true });
    await mkdir(join(images, 'metadata'), { recursive: true });
    const random = seedrandom('pathfinder-zero');
    const pixelsOf: Uint8Array[] = [];
    const lines: string[] = [];
    for (let i = 0; i < 10; i++) {
      const pixels = Uint8Array.from({ length: PIXELS }, () => (random() < 0.8 ? 0 : 1 + Math.floor(random() * 255)));
      pixelsOf.push(pixels);
      await writeFile(join(images, 'imgs', '0', `sample_${i}.png`), encodePngGray(32, 32, pixels));
      lines.push(`imgs/0 sample_${i}.png ${i} ${i % 2} 1.0 14 4 2 0.5 1 1`);
    }
    await writeFile(join(images, 'metadata', '0.npy'), `${lines.join('\n')}\n`);
    const task = getTask('pathfinder');
    const split = await task.read(release, 'train');
    const { config } = resolveConfig({ task: 'pathfinder', mixer: 'attention', preset: 'tiny', sets: ['data.zeroIsPadding=true'] });
    const paddingIds = classifierConfig(config, task).paddingIds;
    expect(split.count).toBeGreaterThan(5);
    for (let r = 0; r < split.count; r++) {
      const tokens = split.documents.row(r);
      // Which image this row is: its ids are the grey levels + 1.
      const pixels = pixelsOf.find((p) => p.every((v, i) => tokens[i] === v + 1))!;
      expect(pixels).toBeDefined();
      const ids = tf.tensor2d(tokens, [1, PIXELS], 'int32');
      const mask = paddingMask(ids, paddingIds);
      const masked = Array.from(mask.dataSync(), (v) => v === 0);
      tf.dispose([ids, mask]);
      expect(masked).toEqual(Array.from(pixels, (v) => v === 0));
    }
  });

  it('is off unless asked for, and absent from the resolved config then', () => {
    const { config } = resolveConfig({ task: 'image', mixer: 'attention', preset: 'tiny', sets: ['data.zeroIsPadding=false'] });
    expect('zeroIsPadding' in config.data).toBe(false);
    expect(classifierConfig(config, getTask('image')).paddingIds).toBeUndefined();
  });

  it('is refused for a task without grey levels', () => {
    expect(() => resolveConfig({ task: 'text', mixer: 'attention', preset: 'tiny', sets: ['data.zeroIsPadding=true'] })).toThrow(
      'data.zeroIsPadding: task text has no token for the value 0 (only image tasks do: image, pathfinder, pathx)',
    );
  });
});
