import { bytes, cell, duration, integer, percent, points, rate } from './format.js';
import type { RunMetrics } from './metrics-file.js';
import { PLOT_FILES, type PlotName } from './plots.js';
import { formatPublished, isLraTask, publishedScore, TASK_TITLES } from './published.js';
import type { RunReport } from './report.js';

function taskTitle(task: string): string {
  return isLraTask(task) ? TASK_TITLES[task] : task;
}

function table(rows: Array<[string, string]>): string {
  return ['| | |', '|---|---|', ...rows.map(([k, v]) => `| ${cell(k)} | ${cell(v)} |`)].join('\n');
}

/** Why memory figures differ in meaning between backends (see the training loop's peakBytes). */
function memoryNote(backend: string): string {
  return backend === 'wasm' ? "exact: the wasm allocator's high-water mark" : 'an upper bound on this backend';
}

/** One sentence comparing the test accuracy with the majority class and the published number. */
export function comparisonSentence(r: RunReport): string {
  const test = r.metrics.test.accuracy * 100;
  const majority = r.metrics.test.majorityRate * 100;
  const parts = [`Test accuracy ${test.toFixed(2)}% is ${points(test - majority)} from always guessing the majority class (${majority.toFixed(2)}%)`];
  const published = publishedScore(r.mixer, r.task);
  if (!published) parts.push(`no LRA number is published for ${r.mixer} on ${taskTitle(r.task)} (not published)`);
  else if (published.accuracy === null)
    parts.push(`the published ${published.model} (${published.source}) has no number here (${formatPublished(published)})`);
  else if (r.preset === 'lra') parts.push(`${points(test - published.accuracy)} from the published ${published.accuracy.toFixed(2)}% of ${published.model} (${published.source})`);
  else parts.push(`the published ${published.accuracy.toFixed(2)}% of ${published.model} (${published.source}) is not compared`);
  let sentence = `${parts.join('; ')}.`;
  if (published && published.accuracy !== null && r.preset !== 'lra')
    sentence += ` The published number comes from LRA's full settings; this run uses the ${r.preset} preset, a smaller model trained for less, so no difference is computed.`;
  return sentence;
}

/**
 * report.md of one run: what ran, where and why there, how well (against the majority class and
 * the published number), how fast, and the exact config, with links to the plots.
 */
export function renderRunMarkdown(r: RunReport, metrics: RunMetrics, plots: Partial<Record<PlotName, string>> = PLOT_FILES): string {
  const published = publishedScore(r.mixer, r.task);
  // Each reason names its backend build ("webgpu: no Vulkan loader", "tensorflow-gpu not installed").
  const rejected = r.backendInfo.rejected.map((x) => x.reason).join('; ');
  const lines: string[] = [];
  lines.push(`# ${taskTitle(r.task)} / ${r.mixer} (${r.preset} preset, seed ${r.seed})`, '');
  lines.push(
    table([
      ['task', `${r.task}: data ${r.data.variant}, length ${r.data.seqLen}; ${integer(r.data.counts.train)} / ${integer(r.data.counts.val)} / ${integer(r.data.counts.test)} examples (train / val / test), ${r.data.skipped} skipped`],
      ['mixer', r.mixer],
      ['preset', r.preset],
      ['seed', String(r.seed)],
      ['backend', `${r.backendInfo.label ?? r.backend} (requested ${r.backendInfo.requested}${r.backendInfo.device ? `, on ${r.backendInfo.device}` : ''}): ${r.backendInfo.reason}`],
      ...(rejected ? ([['backends not used', rejected]] as Array<[string, string]>) : []),
      ['parameters', integer(r.params)],
      ['steps', integer(r.steps)],
      ['resumed', r.resumedFrom === null ? 'no: one uninterrupted run' : `from the checkpoint of step ${integer(r.resumedFrom)}`],
      ['finished', r.finishedAt],
    ]),
    '',
  );

  lines.push('## Result', '');
  lines.push('| | step | accuracy | loss |', '|---|---|---|---|');
  lines.push(`| best validation | ${r.metrics.best.step} | ${percent(r.metrics.best.valAccuracy)} | ${r.metrics.best.valLoss.toFixed(4)} |`);
  lines.push(`| test (best validation checkpoint) | ${r.metrics.best.step} | ${percent(r.metrics.test.accuracy)} | ${r.metrics.test.loss.toFixed(4)} |`);
  if (r.metrics.testLast) {
    const last = r.metrics.testLast;
    lines.push(`| test (last checkpoint, as LRA's code tests) | ${last.step} | ${percent(last.accuracy)} | ${last.loss.toFixed(4)} |`);
  }
  lines.push(`| majority class (test split) | | ${percent(r.metrics.test.majorityRate)} | |`);
  const publishedLabel = published ? `published: ${published.model} (${published.source})` : 'published';
  const publishedValue = published && published.accuracy !== null ? `${published.accuracy.toFixed(2)}%` : formatPublished(published);
  lines.push(`| ${cell(publishedLabel)} | | ${publishedValue} | |`, '');
  lines.push(comparisonSentence(r), '');
  lines.push(`Test split: ${integer(r.metrics.test.count)} examples. Validation and the logged train metrics by step are in metrics.jsonl.`, '');

  lines.push('## Speed and memory', '');
  lines.push(
    table([
      ['steps/s', `${rate(r.speed.stepsPerSec)} (median step ${r.speed.msPerStep.median.toFixed(1)} ms, p90 ${r.speed.msPerStep.p90.toFixed(1)} ms; timed after warm-up)`],
      ['tokens/s', rate(r.speed.tokensPerSec)],
      ['peak memory', `${bytes(r.memory.peakBytes)} (${memoryNote(r.backend)})`],
      ['wall time', `${duration(r.wallSeconds)} (data, training, validation and test)`],
    ]),
    '',
  );

  const plotLinks = (Object.keys(plots) as PlotName[]).filter((k) => plots[k]);
  if (plotLinks.length > 0) {
    lines.push('## Plots', '');
    const captions: Record<PlotName, string> = { loss: 'loss by step', accuracy: 'accuracy by step', lr: 'learning rate by step' };
    for (const name of plotLinks) lines.push(`![${captions[name]}](${plots[name]})`, '');
    const logged = metrics.train.length;
    lines.push(`Train curves average each logged window (${logged} points); validation has ${metrics.val.length} points; the test point is the best validation checkpoint.`, '');
  }

  lines.push('## Environment', '');
  const packages = Object.entries(r.versions.packages).map(([k, v]) => `${k} ${v}`).join(', ');
  lines.push(
    table([
      ['machine', `${r.machine.cpu}, ${r.machine.cores} cores, ${r.machine.memoryGiB} GiB, ${r.machine.platform}`],
      ['lra-ts', `${r.versions.lra}${r.versions.commit ? ` (commit ${r.versions.commit})` : ''}`],
      ['node', r.versions.node],
      ['tfjs', r.versions.tfjs],
      ...(packages ? ([['packages', packages]] as Array<[string, string]>) : []),
    ]),
    '',
  );

  lines.push('## Configuration', '');
  lines.push(`Resolved from: ${r.configLayers.join(' <- ')}.`, '');
  lines.push('```json', JSON.stringify(r.config, null, 2), '```', '');
  return lines.join('\n');
}
