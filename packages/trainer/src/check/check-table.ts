import { formatDuration } from '../plan/eta.js';
import { formatBytes } from '../plan/memory-limit.js';
import type { CheckCellResult } from './check-cell.js';

const dash = '-';

function ms(r: CheckCellResult): string {
  if (r.msPerStep === null) return dash;
  const text = r.msPerStep >= 10_000 ? `${(r.msPerStep / 1000).toFixed(1)} s` : `${r.msPerStep.toFixed(0)} ms`;
  return r.msPerStepSource === 'passes' ? `≈${text}` : r.msPerStepSource === 'probe' ? `~${text}` : text;
}

/** One line per cell: the table `lra check` prints and docs/speed.md keeps. */
export function checkMarkdown(rows: readonly CheckCellResult[], header: { preset: string; backend: string; machine: string; steps: number }): string {
  const lines = [
    `Preset \`${header.preset}\`, backend ${header.backend}, ${header.machine}; synthetic full-length batches, ${header.steps} training steps per cell ` +
      '(ms/step is the last one). Where whole steps would overrun the budget, the steps hold 2 micro-batches (the memory of a whole step: ' +
      'a pass with the summed gradients alive, then the update) and their time is scaled to the batch\'s passes ("≈"); ' +
      '"~": no step finished within the cell\'s time, and the time is the planner\'s probe (2 examples, scaled to the batch). ' +
      'ETA: the whole run at the preset\'s steps, evaluations included. A cell that does not fit is measured again with ' +
      'model.recompute=block ("recompute" beside its micro-batch).',
    '',
    '| task | mixer | params | x Transformer | micro-batch | predicted peak | measured peak | ms/step | ETA | status |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const cells = [
      r.task,
      r.mixer,
      r.params === null ? dash : r.params.toLocaleString('en-US'),
      r.ratioToTransformer === null ? dash : r.ratioToTransformer.toFixed(2),
      r.microBatch === null ? dash : `${r.microBatch}${r.passes && r.passes > 1 ? ` (x${r.passes})` : ''}${r.recompute === 'block' ? ', recompute' : ''}`,
      r.predictedPeakBytes === null ? dash : formatBytes(r.predictedPeakBytes),
      r.measuredPeakBytes === null ? dash : formatBytes(r.measuredPeakBytes),
      ms(r),
      r.etaSeconds === null ? dash : formatDuration(r.etaSeconds),
      r.status === 'ok' ? 'ok' : `${r.status}: ${r.reason ?? ''}`.replace(/\|/g, '/'),
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return `${lines.join('\n')}\n`;
}
