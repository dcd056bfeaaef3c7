import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import seedrandom from 'seedrandom';
import { encodePngGray } from '../../png/encode.js';
import type { GeneratorHooks, GeneratorInput, TaskGenerator } from '../../types.js';
import { formatPathfinderMetadataLine } from './metadata.js';
import type { PathfinderLayout } from './reader.js';
import { renderPathfinderStimulus } from './render.js';
import { pathfinderSettingsFor, validatePathfinderSettings, type PathfinderStimulusSettings } from './settings.js';
import { PathfinderStimulusSampler, type PathfinderStimulus } from './stimulus.js';

export interface PathfinderGeneratorOptions {
  seed: number | string;
  /** Images in all; the reader splits them 80/10/10 as LRA does. */
  count: number;
  /** Images per metadata file (`metadata/<batch>.npy`, `imgs/<batch>/`). */
  imagesPerBatch: number;
  /** The stimulus settings; by default the release's for `settings.side` (see settings.ts). */
  settings: PathfinderStimulusSettings;
}

const PNG_LEVEL = 9;
const CONCURRENT_WRITES = 64;
const optionKeys = new Set(['seed', 'count', 'imagesPerBatch', 'settings']);

/** The release's name for a difficulty: contour length 6 is `curv_baseline`. */
export function pathfinderDifficultyFolder(contourLength: number): string {
  return contourLength === 6 ? 'curv_baseline' : `curv_contour_length_${contourLength}`;
}

function requireInteger(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new Error(`pathfinder generator: ${name} must be an integer in [${min}, ${max}], got ${JSON.stringify(value)}`);
  }
  return value;
}

/**
 * Fills in defaults and validates. Settings start from the release's for `settings.side`
 * (`defaultSide` when not given); any field given overrides them. Unknown keys throw.
 */
export function resolvePathfinderGeneratorOptions(
  input: GeneratorInput<PathfinderGeneratorOptions> = {},
  defaultSide = 32,
): PathfinderGeneratorOptions {
  for (const key of Object.keys(input)) {
    if (!optionKeys.has(key)) throw new Error(`pathfinder generator: unknown option "${key}"; known: ${[...optionKeys].join(', ')}`);
  }
  const seed = input.seed ?? 1;
  if (typeof seed !== 'string' && (typeof seed !== 'number' || !Number.isFinite(seed))) {
    throw new Error(`pathfinder generator: seed must be a number or a string, got ${JSON.stringify(seed)}`);
  }
  const given = input.settings ?? {};
  const base = pathfinderSettingsFor(given.side ?? defaultSide);
  for (const key of Object.keys(given)) {
    if (!(key in base)) throw new Error(`pathfinder generator: unknown setting "${key}"; known: ${Object.keys(base).join(', ')}`);
  }
  const settings = validatePathfinderSettings({ ...base, ...(Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) as Partial<PathfinderStimulusSettings>) });
  return {
    seed,
    count: requireInteger('count', input.count ?? 200_000, 1, 10_000_000),
    imagesPerBatch: requireInteger('imagesPerBatch', input.imagesPerBatch ?? 1000, 1, 1_000_000),
    settings,
  };
}

/** Labels for one batch: half 0, half 1 (the odd one out 1), in a seeded random order. */
function balancedLabels(n: number, random: () => number): (0 | 1)[] {
  const labels = Array.from({ length: n }, (_, i) => (i < Math.floor(n / 2) ? 0 : 1) as 0 | 1);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [labels[i], labels[j]] = [labels[j]!, labels[i]!];
  }
  return labels;
}

/** The seeded stimuli of one batch, in order, with their labels (for writers and measurements). */
export function* pathfinderBatchStimuli(options: PathfinderGeneratorOptions, batch: number): Generator<PathfinderStimulus> {
  const first = batch * options.imagesPerBatch;
  const n = Math.min(options.imagesPerBatch, options.count - first);
  if (n <= 0) return;
  const random = seedrandom.alea(`pathfinder:${String(options.seed)}:${batch}`);
  const labels = balancedLabels(n, random);
  const sampler = new PathfinderStimulusSampler(options.settings, random);
  for (let i = 0; i < n; i++) yield sampler.sample(labels[i]!);
}

async function removeLeftovers(dir: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  for (const name of names) if (/^metadata\.tmp-/.test(name)) await rm(join(dir, name), { recursive: true, force: true });
}

/**
 * Generates Pathfinder images in the release layout under
 * `<outDir>/<folder>/<difficulty>/`: `imgs/<batch>/sample_<i>.png` (8-bit grey) and
 * `metadata/<batch>.npy` (plain text, one 11-field line per image), so that the release's
 * reader reads them. `folders` defaults to the release's names (`pathfinder<side>`, the
 * difficulty of the contour length). Earlier files there are removed first; the metadata
 * folder appears (by a rename) only once every image is written, so an interrupted run
 * leaves nothing that reads as a data set.
 */
export async function generatePathfinder(
  outDir: string,
  input: GeneratorInput<PathfinderGeneratorOptions> = {},
  hooks: GeneratorHooks = {},
  folders?: { folder: string; difficulty: string },
  defaultSide = 32,
): Promise<{ files: string[]; options: PathfinderGeneratorOptions }> {
  const options = resolvePathfinderGeneratorOptions(input, defaultSide);
  const { settings } = options;
  const folder = folders?.folder ?? `pathfinder${settings.side}`;
  const difficulty = folders?.difficulty ?? pathfinderDifficultyFolder(settings.contourLength);
  const dir = join(outDir, folder, difficulty);
  await mkdir(dir, { recursive: true });
  await removeLeftovers(dir);
  await rm(join(dir, 'metadata'), { recursive: true, force: true });
  await rm(join(dir, 'imgs'), { recursive: true, force: true });

  const batches = Math.ceil(options.count / options.imagesPerBatch);
  const metadata: string[] = [];
  const writes = new Set<Promise<void>>();
  let done = 0;
  for (let b = 0; b < batches; b++) {
    const imageDir = `imgs/${b}`;
    await mkdir(join(dir, imageDir), { recursive: true });
    const lines: string[] = [];
    let i = 0;
    for (const stimulus of pathfinderBatchStimuli(options, b)) {
      const imageFile = `sample_${i}.png`;
      const png = encodePngGray(settings.side, settings.side, renderPathfinderStimulus(stimulus, settings), { level: PNG_LEVEL });
      const write = writeFile(join(dir, imageDir, imageFile), png).finally(() => writes.delete(write));
      writes.add(write);
      if (writes.size >= CONCURRENT_WRITES) await Promise.race(writes);
      lines.push(
        formatPathfinderMetadataLine({
          imageDir,
          imageFile,
          index: i,
          label: stimulus.label,
          continuity: settings.continuity,
          contourLength: settings.contourLength,
          distractorLength: settings.distractorLength,
          paddleLength: settings.paddleLength,
          paddleThickness: settings.paddleThickness,
          paddleMargin: stimulus.paddleMargin,
          contrastCount: settings.paddleContrasts.length,
        }),
      );
      i++;
      if (++done % 256 === 0) hooks.onProgress?.(done, options.count);
    }
    metadata.push(`${lines.join('\n')}\n`);
  }
  await Promise.all(writes);

  const temp = join(dir, `metadata.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  await mkdir(temp);
  const files: string[] = [];
  for (let b = 0; b < batches; b++) {
    await writeFile(join(temp, `${b}.npy`), metadata[b]!);
    files.push(join(dir, 'metadata', `${b}.npy`));
  }
  await rename(temp, join(dir, 'metadata'));
  hooks.onProgress?.(options.count, options.count);
  return { files, options };
}

/** Named option sets: the release's size, and smaller ones for quick runs. */
export const pathfinderGeneratorPresets: Readonly<Record<string, GeneratorInput<PathfinderGeneratorOptions>>> = {
  official: {},
  small: { count: 20_000 },
  tiny: { count: 2_000, imagesPerBatch: 500 },
};

/**
 * The generator of a Pathfinder task: images of the task's size written into the task's
 * release folders (pathfinder32/ or pathfinder128/, curv_contour_length_14/).
 */
export function makePathfinderGenerator(layout: PathfinderLayout): TaskGenerator<PathfinderGeneratorOptions> {
  const resolveOptions = (input?: GeneratorInput<PathfinderGeneratorOptions>): PathfinderGeneratorOptions => {
    const options = resolvePathfinderGeneratorOptions(input, layout.side);
    if (options.settings.side !== layout.side) {
      throw new Error(`pathfinder generator: the ${layout.task} task reads ${layout.side}x${layout.side} images; settings.side is ${options.settings.side}`);
    }
    return options;
  };
  return {
    defaults: resolveOptions({}),
    presets: pathfinderGeneratorPresets,
    resolveOptions,
    generate: (outDir, input, hooks) => generatePathfinder(outDir, resolveOptions(input), hooks, layout, layout.side),
  };
}
