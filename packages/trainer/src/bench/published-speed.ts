// LRA's published speed and memory: Tay et al., "Long Range Arena: A Benchmark for Efficient
// Transformers", ICLR 2021, Table 2 (Text task, batch 32, TPU v3 4x4), as quoted in
// docs/lra.md, "Published speed and memory (LRA Table 2)". The paper reports steps per
// second and peak memory per device; its relative figures are these divided by the Transformer's.

/** The lengths Table 2 measures. */
export const PUBLISHED_SPEED_LENGTHS = [1024, 2048, 3072, 4096] as const;

export interface PublishedSpeedRow {
  model: string;
  /** Steps per second at 1K, 2K, 3K, 4K. */
  stepsPerSec: readonly [number, number, number, number];
  /** Peak memory per device in GB at 1K, 2K, 3K, 4K. */
  memoryGB: readonly [number, number, number, number];
}

export const PUBLISHED_SPEED_SOURCE =
  'LRA paper (Tay et al., ICLR 2021), Table 2: Text task, batch 32, TPU v3 4x4';

export const PUBLISHED_SPEED: readonly PublishedSpeedRow[] = [
  { model: 'Transformer', stepsPerSec: [8.1, 4.9, 2.3, 1.4], memoryGB: [0.85, 2.65, 5.51, 9.48] },
  { model: 'Local Attention', stepsPerSec: [9.2, 8.4, 7.4, 7.4], memoryGB: [0.42, 0.76, 1.06, 1.37] },
  { model: 'Linformer', stepsPerSec: [9.3, 9.1, 8.5, 7.7], memoryGB: [0.37, 0.55, 0.99, 0.99] },
  { model: 'Reformer', stepsPerSec: [4.4, 2.2, 1.5, 1.1], memoryGB: [0.48, 0.99, 1.53, 2.28] },
  { model: 'Sinkhorn Trans.', stepsPerSec: [9.1, 7.9, 6.6, 5.3], memoryGB: [0.47, 0.83, 1.13, 1.48] },
  { model: 'Synthesizer', stepsPerSec: [8.7, 5.7, 6.6, 1.9], memoryGB: [0.65, 1.98, 4.09, 6.99] },
  { model: 'BigBird', stepsPerSec: [7.4, 3.9, 2.7, 1.5], memoryGB: [0.77, 1.49, 2.18, 2.88] },
  { model: 'Linear Trans.', stepsPerSec: [9.1, 9.3, 8.6, 7.8], memoryGB: [0.37, 0.57, 0.8, 1.03] },
  { model: 'Performer', stepsPerSec: [9.5, 9.4, 8.7, 8.0], memoryGB: [0.37, 0.59, 0.82, 1.06] },
];

/** The Table 2 row that measures each of this project's mixers; the others have none. */
export const PUBLISHED_SPEED_MODEL_OF_MIXER: Readonly<Record<string, string>> = {
  attention: 'Transformer',
  local: 'Local Attention',
  linformer: 'Linformer',
  reformer: 'Reformer',
  bigbird: 'BigBird',
  linear: 'Linear Trans.',
  performer: 'Performer',
  sinkhorn: 'Sinkhorn Trans.',
  synthesizer: 'Synthesizer',
};

export interface PublishedRelative {
  model: string;
  /** Steps/s relative to the Transformer at the same length. */
  speed: number;
  /** Peak memory relative to the Transformer at the same length. */
  memory: number;
}

/** LRA's relative speed and memory for a mixer at a length, or null when Table 2 has none. */
export function publishedRelative(mixer: string, length: number): PublishedRelative | null {
  const model = PUBLISHED_SPEED_MODEL_OF_MIXER[mixer];
  const column = (PUBLISHED_SPEED_LENGTHS as readonly number[]).indexOf(length);
  if (!model || column < 0) return null;
  const row = PUBLISHED_SPEED.find((r) => r.model === model);
  const transformer = PUBLISHED_SPEED[0]!;
  if (!row) throw new Error(`published speed: no row "${model}" for mixer ${mixer}`);
  return {
    model,
    speed: row.stepsPerSec[column]! / transformer.stepsPerSec[column]!,
    memory: row.memoryGB[column]! / transformer.memoryGB[column]!,
  };
}
