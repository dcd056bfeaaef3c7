/**
 * Published LRA test accuracies (in %): the LRA paper's Table 1 and the later results that
 * docs/lra.md lists with their sources (a test keeps the two in agreement). A null score is a
 * published FAIL (Path-X in Table 1) or a "-" (not reported). Nothing here is estimated: a mixer
 * whose paper gives no LRA number maps to no model.
 */

/** The benchmark's tasks, in LRA's column order. */
export const LRA_TASKS = ['listops', 'text', 'retrieval', 'image', 'pathfinder', 'pathx'] as const;
export type LraTask = (typeof LRA_TASKS)[number];

/** The tasks LRA's own average covers: all but Path-X, which every Table 1 model failed. */
export const LRA_AVERAGE_TASKS: readonly LraTask[] = ['listops', 'text', 'retrieval', 'image', 'pathfinder'];

/** Said wherever an average is shown, so no table mixes LRA's convention with S4's. */
export const AVERAGE_CONVENTION =
  "Average: LRA's convention, the mean test accuracy of the five tasks ListOps, Text, Retrieval, Image and Pathfinder, " +
  'without Path-X (not the six-task average that counts a failed Path-X as 50); shown only where all five are present.';

export const TASK_TITLES: Record<LraTask, string> = {
  listops: 'ListOps',
  text: 'Text',
  retrieval: 'Retrieval',
  image: 'Image',
  pathfinder: 'Pathfinder',
  pathx: 'Path-X',
};

export interface PublishedModel {
  /** The model's name as the source table prints it. */
  model: string;
  source: string;
  /** Test accuracy in % per task; null for FAIL or "-". */
  scores: Record<LraTask, number | null>;
  /** Path-X was attempted and failed (FAIL), as opposed to not reported ("-"). */
  pathxFailed: boolean;
  /**
   * The average the source itself prints, where it prints one (LRA Table 1 only). Tables here
   * show averages computed from the scores instead: Table 1's printed 51.29 for Sinkhorn Trans.
   * is not the mean of its five printed scores (51.476), and a recomputed column cannot drift so.
   */
  statedAverage: number | null;
}

const LRA_TABLE_1 = 'LRA paper (Tay et al., ICLR 2021), Table 1';

function row(
  model: string,
  source: string,
  [listops, text, retrieval, image, pathfinder, pathx]: [number, number, number, number, number, number | 'FAIL' | '-'],
  statedAverage: number | null = null,
): PublishedModel {
  return {
    model,
    source,
    scores: { listops, text, retrieval, image, pathfinder, pathx: typeof pathx === 'number' ? pathx : null },
    pathxFailed: pathx === 'FAIL',
    statedAverage,
  };
}

export const PUBLISHED_MODELS: readonly PublishedModel[] = [
  row('Transformer', LRA_TABLE_1, [36.37, 64.27, 57.46, 42.44, 71.4, 'FAIL'], 54.39),
  row('Local Attention', LRA_TABLE_1, [15.82, 52.98, 53.39, 41.46, 66.63, 'FAIL'], 46.06),
  row('Sparse Trans.', LRA_TABLE_1, [17.07, 63.58, 59.59, 44.24, 71.71, 'FAIL'], 51.24),
  row('Longformer', LRA_TABLE_1, [35.63, 62.85, 56.89, 42.22, 69.71, 'FAIL'], 53.46),
  row('Linformer', LRA_TABLE_1, [35.7, 53.94, 52.27, 38.56, 76.34, 'FAIL'], 51.36),
  row('Reformer', LRA_TABLE_1, [37.27, 56.1, 53.4, 38.07, 68.5, 'FAIL'], 50.67),
  row('Sinkhorn Trans.', LRA_TABLE_1, [33.67, 61.2, 53.83, 41.23, 67.45, 'FAIL'], 51.29),
  row('Synthesizer', LRA_TABLE_1, [36.99, 61.68, 54.67, 41.61, 69.45, 'FAIL'], 52.88),
  row('BigBird', LRA_TABLE_1, [36.05, 64.02, 59.29, 40.83, 74.87, 'FAIL'], 55.01),
  row('Linear Trans.', LRA_TABLE_1, [16.13, 65.9, 53.09, 42.34, 75.3, 'FAIL'], 50.55),
  row('Performer', LRA_TABLE_1, [18.01, 65.4, 53.82, 42.77, 77.05, 'FAIL'], 51.41),
  row('FNet', 'FNet paper, as quoted by S4', [35.33, 65.11, 59.61, 38.67, 77.8, 'FAIL']),
  row('Nystromformer', 'Nystromformer paper', [37.15, 65.52, 79.56, 41.58, 70.94, 'FAIL']),
  row('Luna-256', 'quoted by S4', [37.25, 64.57, 79.29, 47.38, 77.72, 'FAIL']),
  row('S4', 'S4 paper, Table 4', [59.6, 86.82, 90.9, 88.65, 94.2, 96.35]),
  row('S4D-Lin', 'S4D paper', [60.52, 86.97, 90.96, 87.93, 93.96, '-']),
  row('Mega', 'Mega paper', [63.14, 90.43, 91.25, 90.44, 96.01, 97.98]),
  row('S5', 'S5 paper (Smith et al., ICLR 2023), Table 1', [62.15, 89.31, 91.4, 88.0, 95.33, 98.58]),
  row('LRU', 'LRU paper (Orvieto et al., ICML 2023)', [60.2, 89.4, 89.9, 89.0, 95.1, 94.2]),
];

/**
 * This project's mixers that a published row measures. Mixers absent here (fftnet, gfnet,
 * fourier-transformer, hyena, mamba, gmlp, kernelized-rpe, rfa, ...) have no LRA number in the
 * sources above: their papers either report none or were not available, so they read
 * "not published".
 */
export const PUBLISHED_MODEL_OF_MIXER: Readonly<Record<string, string>> = {
  attention: 'Transformer',
  local: 'Local Attention',
  linformer: 'Linformer',
  reformer: 'Reformer',
  'sparse-transformer': 'Sparse Trans.',
  longformer: 'Longformer',
  sinkhorn: 'Sinkhorn Trans.',
  synthesizer: 'Synthesizer',
  bigbird: 'BigBird',
  linear: 'Linear Trans.',
  performer: 'Performer',
  fnet: 'FNet',
  nystromformer: 'Nystromformer',
  s4d: 'S4D-Lin',
  s4: 'S4',
  s5: 'S5',
  lru: 'LRU',
  mega: 'Mega',
};

/** The mixers of LRA's Table 1, in the table's row order. */
export const LRA_TABLE_1_MIXERS: readonly string[] = [
  'attention', 'local', 'sparse-transformer', 'longformer', 'linformer', 'reformer', 'sinkhorn', 'synthesizer', 'bigbird', 'linear', 'performer',
];

export const NOT_PUBLISHED = 'not published';

export function publishedModel(name: string): PublishedModel {
  const found = PUBLISHED_MODELS.find((m) => m.model === name);
  if (!found) throw new Error(`no published model "${name}"; known: ${PUBLISHED_MODELS.map((m) => m.model).join(', ')}`);
  return found;
}

/** The published row for one of this project's mixers, or null when none exists. */
export function publishedForMixer(mixer: string): PublishedModel | null {
  const name = PUBLISHED_MODEL_OF_MIXER[mixer];
  return name === undefined ? null : publishedModel(name);
}

export interface PublishedScore {
  model: string;
  source: string;
  /** Test accuracy in %; null when the model is published but this task is FAIL or "-". */
  accuracy: number | null;
  /** How the source reports a missing score. */
  note: 'FAIL' | 'not reported' | null;
}

/** The published score of a mixer on a task, or null when the mixer has no published row. */
export function publishedScore(mixer: string, task: string): PublishedScore | null {
  const m = publishedForMixer(mixer);
  if (!m || !isLraTask(task)) return null;
  const accuracy = m.scores[task];
  const note = accuracy !== null ? null : task === 'pathx' && m.pathxFailed ? 'FAIL' : 'not reported';
  return { model: m.model, source: m.source, accuracy, note };
}

/** How a cell shows a published score: the number, FAIL, "-" or "not published". */
export function formatPublished(p: PublishedScore | null): string {
  if (!p) return NOT_PUBLISHED;
  if (p.accuracy !== null) return p.accuracy.toFixed(2);
  return p.note === 'FAIL' ? 'FAIL' : '-';
}

export function isLraTask(task: string): task is LraTask {
  return (LRA_TASKS as readonly string[]).includes(task);
}

/**
 * LRA's average of per-task accuracies: the mean over the five tasks without Path-X, or null
 * when any of the five is missing (a partial average would not compare with the published one).
 */
export function lraAverage(scores: Partial<Record<string, number | null>>): number | null {
  let sum = 0;
  for (const task of LRA_AVERAGE_TASKS) {
    const s = scores[task];
    if (s === null || s === undefined || !Number.isFinite(s)) return null;
    sum += s;
  }
  return sum / LRA_AVERAGE_TASKS.length;
}
