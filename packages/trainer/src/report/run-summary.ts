import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic.js';
import { readMetrics } from './metrics-file.js';
import { PLOT_FILES, type PlotName, writeRunPlots } from './plots.js';
import { publishedScore } from './published.js';
import type { RunReport } from './report.js';
import { renderRunMarkdown } from './run-markdown.js';

export interface RunSummaryFiles {
  markdown: string;
  plots: Record<PlotName, string>;
}

/**
 * Writes a finished run's report.md and plots/{loss,accuracy,lr}.svg from its report.json and
 * metrics.jsonl, each file atomically. Safe to run again: it only reads what the run wrote.
 */
export async function writeRunSummary(runDir: string): Promise<RunSummaryFiles> {
  const reportPath = join(runDir, 'report.json');
  if (!existsSync(reportPath)) throw new Error(`${runDir}: no report.json (the run has not finished)`);
  const report = JSON.parse(readFileSync(reportPath, 'utf8')) as RunReport;
  const metrics = readMetrics(join(runDir, 'metrics.jsonl'));
  const published = publishedScore(report.mixer, report.task);
  const title = `${report.task} / ${report.mixer} (${report.preset}, seed ${report.seed})`;
  const plots = await writeRunPlots(runDir, metrics, title, {
    majorityRate: report.metrics.test.majorityRate,
    published: published && published.accuracy !== null ? { model: published.model, accuracy: published.accuracy / 100 } : null,
  });
  const markdown = join(runDir, 'report.md');
  await writeFileAtomic(markdown, renderRunMarkdown(report, metrics, PLOT_FILES));
  return { markdown, plots };
}
