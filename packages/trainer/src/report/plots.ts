import { join } from 'node:path';
import type { RunMetrics } from './metrics-file.js';
import type { ChartReference, LineChartSpec } from './svg-chart.js';
import { renderLineChart } from './svg-chart.js';
import { writeSvgAndPng } from './svg-png.js';

/** What the accuracy chart draws as horizontal lines, when known. */
export interface AccuracyReferences {
  majorityRate?: number | null;
  /** Published test accuracy as a fraction (LRA tables print %). */
  published?: { model: string; accuracy: number } | null;
}

export const PLOT_FILES = { loss: 'plots/loss.svg', accuracy: 'plots/accuracy.svg', lr: 'plots/lr.svg' } as const;
export type PlotName = keyof typeof PLOT_FILES;

/** Steps run from 0 to the last one recorded: every chart of a run shares this x axis. */
function stepDomain(m: RunMetrics): { xDomain: readonly [number, number] } | Record<string, never> {
  const last = Math.max(0, ...m.train.map((r) => r.step), ...m.val.map((r) => r.step), m.test?.step ?? 0);
  return last > 0 ? { xDomain: [0, last] } : {};
}

export function lossChart(m: RunMetrics, title: string): LineChartSpec {
  return {
    title: `${title}: loss`,
    xLabel: 'step',
    ...stepDomain(m),
    yLabel: 'cross-entropy loss',
    series: [
      { name: 'train', points: m.train.map((r) => [r.step, r.loss]) },
      { name: 'validation', points: m.val.map((r) => [r.step, r.loss]) },
      ...(m.test ? [{ name: 'test (best checkpoint)', points: [[m.test.step, m.test.loss] as const], mode: 'markers' as const }] : []),
    ],
  };
}

export function accuracyChart(m: RunMetrics, title: string, refs: AccuracyReferences = {}): LineChartSpec {
  const references: ChartReference[] = [];
  if (refs.majorityRate !== undefined && refs.majorityRate !== null && Number.isFinite(refs.majorityRate))
    references.push({ label: 'majority class', y: refs.majorityRate, color: '#7f7f7f' });
  if (refs.published) references.push({ label: `published (${refs.published.model})`, y: refs.published.accuracy, color: '#9467bd' });
  return {
    title: `${title}: accuracy`,
    xLabel: 'step',
    ...stepDomain(m),
    yLabel: 'accuracy',
    yDomain: [0, 1],
    series: [
      { name: 'train', points: m.train.map((r) => [r.step, r.accuracy]) },
      { name: 'validation', points: m.val.map((r) => [r.step, r.accuracy]) },
      ...(m.test ? [{ name: 'test (best checkpoint)', points: [[m.test.step, m.test.accuracy] as const], mode: 'markers' as const }] : []),
    ],
    references,
  };
}

export function learningRateChart(m: RunMetrics, title: string): LineChartSpec {
  return {
    title: `${title}: learning rate`,
    xLabel: 'step',
    ...stepDomain(m),
    yLabel: 'learning rate',
    // An axis from 0 shows the warm-up and the decay in true proportion.
    includeZero: true,
    series: [{ name: 'learning rate (at the last step of each logged window)', points: m.train.map((r) => [r.step, r.lr] as const) }],
  };
}

/** The three plots of a run as SVG text, keyed by name. */
export function renderRunPlots(m: RunMetrics, title: string, refs: AccuracyReferences = {}): Record<PlotName, string> {
  return {
    loss: renderLineChart(lossChart(m, title)),
    accuracy: renderLineChart(accuracyChart(m, title, refs)),
    lr: renderLineChart(learningRateChart(m, title)),
  };
}

/** Writes plots/{loss,accuracy,lr}.svg into a run folder, each atomically with its PNG copy beside it; returns the SVG paths. */
export async function writeRunPlots(runDir: string, m: RunMetrics, title: string, refs: AccuracyReferences = {}): Promise<Record<PlotName, string>> {
  const svgs = renderRunPlots(m, title, refs);
  const paths = {} as Record<PlotName, string>;
  for (const name of Object.keys(PLOT_FILES) as PlotName[]) {
    paths[name] = join(runDir, PLOT_FILES[name]);
    await writeSvgAndPng(paths[name], svgs[name]);
  }
  return paths;
}
