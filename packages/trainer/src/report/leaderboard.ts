import { CONFIG_KEYS_IGNORED_FOR_GROUPING, configHash, experimentSettings } from './config-hash.js';
import type { FinishedRun, FoundRuns, UnfinishedRun } from './find-runs.js';
import {
  AVERAGE_CONVENTION,
  isLraTask,
  LRA_AVERAGE_TASKS,
  LRA_TASKS,
  lraAverage,
  publishedForMixer,
  publishedScore,
  type PublishedScore,
} from './published.js';
import { buildLraComparison, LRA_PRESET, type LraComparisonRow } from './lra-comparison.js';
import { transformerParams } from './mixer-params.js';
import { mean, median, sampleStd } from './sample-stats.js';

const transformerParamsCache = new Map<string, number>();

/** params over the base Transformer's (null without a tfjs backend to build it on, or for an unknown task). */
function ratioToTransformer(task: string, preset: string, params: number): number | null {
  const key = `${task}\u0000${preset}`;
  const base = transformerParamsCache.get(key) ?? transformerParams(task, preset);
  if (base === null) return null;
  transformerParamsCache.set(key, base);
  return params / base;
}

/** Spread over seeds, in percent. */
export interface SeedStats {
  mean: number;
  /** Sample standard deviation (n - 1); null for one run. */
  std: number | null;
  n: number;
  values: number[];
}

/** One experiment (task x mixer x preset x settings) over its seeds. */
export interface LeaderboardEntry {
  task: string;
  mixer: string;
  preset: string;
  configHash: string;
  /**
   * What sets this experiment apart from others of the same task, mixer and preset
   * (e.g. "train.lr=0.001"); empty when it is the only one.
   */
  settings: string;
  seeds: number[];
  runDirs: string[];
  /** Test accuracy of each run's best validation checkpoint, %. */
  testAccuracy: SeedStats;
  /**
   * Test accuracy of each run's last checkpoint, %, which LRA's released code reports; null when
   * a run's report predates the field.
   */
  testAccuracyLast: SeedStats | null;
  bestValAccuracy: SeedStats;
  majorityRate: number;
  published: PublishedScore | null;
  /**
   * Mean test accuracy minus the published one, in points; null without a published number, and
   * for every preset but lra (smaller models trained for less compare with nothing published).
   */
  diffToPublished: number | null;
  /** Medians over the runs, each run's own figure timed after warm-up. */
  speed: { stepsPerSec: number; tokensPerSec: number };
  backends: string[];
  params: number[];
  /**
   * The largest of `params` over the base Transformer's at the same task and preset: LRA compares
   * models of about equal size (at most 1.1); null where the Transformer cannot be built here.
   */
  paramsRatio: number | null;
  steps: number[];
  warnings: string[];
}

/** A mixer's row across tasks, beside its published row. */
export interface SummaryRow {
  mixer: string;
  preset: string;
  settings: string;
  tasks: Partial<Record<string, { mean: number; std: number | null; n: number }>>;
  /** LRA's five-task average of the task means; null unless all five are present. */
  average: number | null;
  published: {
    model: string;
    source: string;
    /** %, null where the source prints FAIL or "-". */
    scores: Record<string, number | null>;
    /** Path-X's null is a FAIL (Table 1), not a missing report. */
    pathxFailed: boolean;
    average: number | null;
  } | null;
}

export interface Leaderboard {
  conventions: {
    accuracyUnit: 'percent';
    accuracy: string;
    spread: string;
    grouping: string;
    ignoredForGrouping: readonly string[];
    speed: string;
    average: string;
    averageTasks: readonly string[];
    published: string;
  };
  roots: string[];
  runs: { finished: number; unfinished: number };
  entries: LeaderboardEntry[];
  summary: SummaryRow[];
  unfinished: UnfinishedRun[];
  /** LRA's Table 1 models, each beside its published row (see lra-comparison.ts). */
  lraComparison: LraComparisonRow[];
}

export const CONVENTIONS: Leaderboard['conventions'] = {
  accuracyUnit: 'percent',
  accuracy: "test accuracy of each run's best validation checkpoint, in %",
  spread: 'mean and sample standard deviation (denominator n - 1) over runs (seeds); n = number of runs; no deviation for n = 1',
  grouping:
    'runs are averaged together only when task, mixer, preset, the data variant and every other resolved setting agree ' +
    `(a hash of config.json without ${CONFIG_KEYS_IGNORED_FOR_GROUPING.join(', ')})`,
  ignoredForGrouping: CONFIG_KEYS_IGNORED_FOR_GROUPING,
  speed: 'median over runs of steps/s and tokens/s, each timed after warm-up steps, on the backend(s) listed',
  average: AVERAGE_CONVENTION,
  averageTasks: LRA_AVERAGE_TASKS,
  published:
    "LRA paper Table 1 and later results as listed in docs/lra.md, all at LRA's full settings; 'not published' where no number exists; " +
    'runs of the small or tiny presets are smaller models trained for less: they are marked with their preset and no difference to a published number is computed for them',
};

function seedStats(values: number[]): SeedStats {
  return { mean: mean(values), std: sampleStd(values), n: values.length, values };
}

const uniqueSorted = <T extends string | number>(xs: T[]): T[] => [...new Set(xs)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

function taskOrder(task: string): number {
  const i = (LRA_TASKS as readonly string[]).indexOf(task);
  return i === -1 ? LRA_TASKS.length : i;
}

function formatSettingValue(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/**
 * For experiments sharing task, mixer and preset: the settings in which they differ, as
 * "key=value" labels, so a sweep's overrides read as names rather than hashes.
 */
function distinguishingLabels(groups: Array<{ hash: string; settings: Record<string, unknown> }>): Map<string, string> {
  const labels = new Map<string, string>();
  if (groups.length < 2) {
    for (const g of groups) labels.set(g.hash, '');
    return labels;
  }
  const keys = uniqueSorted(groups.flatMap((g) => Object.keys(g.settings)));
  const differing = keys.filter((k) => new Set(groups.map((g) => JSON.stringify(g.settings[k]))).size > 1);
  for (const g of groups) labels.set(g.hash, differing.map((k) => `${k}=${formatSettingValue(g.settings[k])}`).join(', ') || g.hash);
  return labels;
}

export function buildEntries(runs: readonly FinishedRun[]): LeaderboardEntry[] {
  const groups = new Map<string, { hash: string; settings: Record<string, unknown>; runs: FinishedRun[] }>();
  for (const run of runs) {
    const r = run.report;
    const variant = r.data?.variant ?? null;
    const hash = configHash(r.config, variant);
    const key = `${r.task}\u0000${r.mixer}\u0000${r.preset}\u0000${hash}`;
    const g = groups.get(key) ?? { hash, settings: experimentSettings(r.config, variant), runs: [] };
    g.runs.push(run);
    groups.set(key, g);
  }

  const byExperiment = new Map<string, Array<{ hash: string; settings: Record<string, unknown> }>>();
  for (const g of groups.values()) {
    const r = g.runs[0]!.report;
    const k = `${r.task}\u0000${r.mixer}\u0000${r.preset}`;
    byExperiment.set(k, [...(byExperiment.get(k) ?? []), g]);
  }
  const labels = new Map<string, Map<string, string>>();
  for (const [k, gs] of byExperiment) labels.set(k, distinguishingLabels(gs));

  const entries: LeaderboardEntry[] = [];
  for (const g of groups.values()) {
    const first = g.runs[0]!.report;
    const runsSorted = [...g.runs].sort((a, b) => a.report.seed - b.report.seed || a.dir.localeCompare(b.dir));
    const test = seedStats(runsSorted.map((x) => x.report.metrics.test.accuracy * 100));
    const lasts = runsSorted.map((x) => x.report.metrics.testLast);
    const testLast = lasts.every((l) => l !== undefined) ? seedStats(lasts.map((l) => l!.accuracy * 100)) : null;
    const published = publishedScore(first.mixer, first.task);
    const seeds = runsSorted.map((x) => x.report.seed);
    const warnings: string[] = [];
    for (const seed of uniqueSorted(seeds)) {
      const dirs = runsSorted.filter((x) => x.report.seed === seed).map((x) => x.dir);
      if (dirs.length > 1) warnings.push(`seed ${seed} appears in ${dirs.length} runs (${dirs.join(', ')}): each counts in the mean`);
    }
    entries.push({
      task: first.task,
      mixer: first.mixer,
      preset: first.preset,
      configHash: g.hash,
      settings: labels.get(`${first.task}\u0000${first.mixer}\u0000${first.preset}`)!.get(g.hash)!,
      seeds,
      runDirs: runsSorted.map((x) => x.dir),
      testAccuracy: test,
      testAccuracyLast: testLast,
      bestValAccuracy: seedStats(runsSorted.map((x) => x.report.metrics.best.valAccuracy * 100)),
      majorityRate: mean(runsSorted.map((x) => x.report.metrics.test.majorityRate * 100)),
      published,
      diffToPublished: first.preset === LRA_PRESET && published && published.accuracy !== null ? test.mean - published.accuracy : null,
      speed: {
        stepsPerSec: median(runsSorted.map((x) => x.report.speed.stepsPerSec)),
        tokensPerSec: median(runsSorted.map((x) => x.report.speed.tokensPerSec)),
      },
      backends: uniqueSorted(runsSorted.map((x) => x.report.backend)),
      params: uniqueSorted(runsSorted.map((x) => x.report.params)),
      paramsRatio: ratioToTransformer(first.task, first.preset, Math.max(...runsSorted.map((x) => x.report.params))),
      steps: uniqueSorted(runsSorted.map((x) => x.report.steps)),
      warnings,
    });
  }
  return entries.sort(
    (a, b) =>
      taskOrder(a.task) - taskOrder(b.task) ||
      a.task.localeCompare(b.task) ||
      a.mixer.localeCompare(b.mixer) ||
      a.preset.localeCompare(b.preset) ||
      a.settings.localeCompare(b.settings),
  );
}

export function buildSummary(entries: readonly LeaderboardEntry[]): SummaryRow[] {
  const rows = new Map<string, SummaryRow>();
  for (const e of entries) {
    const key = `${e.mixer}\u0000${e.preset}\u0000${e.settings}`;
    let row = rows.get(key);
    if (!row) {
      const p = publishedForMixer(e.mixer);
      row = {
        mixer: e.mixer,
        preset: e.preset,
        settings: e.settings,
        tasks: {},
        average: null,
        published: p ? { model: p.model, source: p.source, scores: { ...p.scores }, pathxFailed: p.pathxFailed, average: lraAverage(p.scores) } : null,
      };
      rows.set(key, row);
    }
    row.tasks[e.task] = { mean: e.testAccuracy.mean, std: e.testAccuracy.std, n: e.testAccuracy.n };
  }
  for (const row of rows.values()) {
    const means: Record<string, number> = {};
    for (const [task, s] of Object.entries(row.tasks)) if (s && isLraTask(task)) means[task] = s.mean;
    row.average = lraAverage(means);
  }
  return [...rows.values()].sort((a, b) => a.mixer.localeCompare(b.mixer) || a.preset.localeCompare(b.preset) || a.settings.localeCompare(b.settings));
}

/** The leaderboard of everything found under `roots`: the data behind both the markdown and the JSON. */
export function buildLeaderboard(found: FoundRuns, roots: readonly string[]): Leaderboard {
  const entries = buildEntries(found.finished);
  return {
    conventions: CONVENTIONS,
    roots: [...roots],
    runs: { finished: found.finished.length, unfinished: found.unfinished.length },
    entries,
    summary: buildSummary(entries),
    unfinished: [...found.unfinished].sort((a, b) => a.dir.localeCompare(b.dir)),
    lraComparison: buildLraComparison(found.finished),
  };
}
