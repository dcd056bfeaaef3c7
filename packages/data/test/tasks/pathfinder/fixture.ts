import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodePngGray } from '../../../src/png/encode.js';

export interface FixtureImage {
  batch: string;
  index: number;
  label: number;
  pixels: Uint8Array;
}

/** Pixels that identify an image: a gradient offset by its number (0 included: black pixels). */
export function fixturePixels(side: number, n: number): Uint8Array {
  const out = new Uint8Array(side * side);
  for (let i = 0; i < out.length; i++) out[i] = (i * 7 + n * 13) % 256;
  return out;
}

/** An 11-field release metadata line, as the release writes them. */
export function metadataLine(batch: string, index: number, label: number | string): string {
  return `imgs/${batch} sample_${index}.png ${index} ${label} 1.0 14 4 2 0.5 1 1`;
}

/**
 * Writes a small release layout, <root>/<folder>/curv_contour_length_14/{imgs,metadata}, with
 * `perBatch` images in each of `batches` (metadata files named by batch) and returns it.
 */
export async function writeReleaseFixture(
  opts: { side?: number; folder?: string; batches?: string[]; perBatch?: number } = {},
): Promise<{ root: string; dir: string; images: FixtureImage[] }> {
  const side = opts.side ?? 32;
  const folder = opts.folder ?? 'pathfinder32';
  const batches = opts.batches ?? ['0', '1', '2'];
  const perBatch = opts.perBatch ?? 5;
  const root = await mkdtemp(join(tmpdir(), 'lra-pathfinder-'));
  const dir = join(root, folder, 'curv_contour_length_14');
  await mkdir(join(dir, 'metadata'), { recursive: true });
  const images: FixtureImage[] = [];
  let n = 0;
  for (const batch of batches) {
    await mkdir(join(dir, 'imgs', batch), { recursive: true });
    const lines: string[] = [];
    for (let index = 0; index < perBatch; index++) {
      const label = (n * 5 + 1) % 3 === 0 ? 1 : 0;
      const pixels = fixturePixels(side, n++);
      await writeFile(join(dir, 'imgs', batch, `sample_${index}.png`), encodePngGray(side, side, pixels));
      lines.push(metadataLine(batch, index, label));
      images.push({ batch, index, label, pixels });
    }
    await writeFile(join(dir, 'metadata', `${batch}.npy`), `${lines.join('\n')}\n`);
  }
  return { root, dir, images };
}
