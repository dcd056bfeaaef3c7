import type { Argv } from 'yargs';
import { getTask, taskNames } from '@lra/data';
import { getMixer, mixerNames } from '@lra/models';
import { type CheckCellResult, runCheckCell } from '../../check/check-cell.js';
import { runCheck } from '../../check/check-run.js';
import type { BackendRequest } from '../../config/types.js';
import { formatDuration } from '../../plan/eta.js';
import { formatBytes } from '../../plan/memory-limit.js';
import { createLogger } from '../../util/logger.js';
import { backendChoices } from './train.js';

const list = (value: string | undefined, all: readonly string[], check: (name: string) => unknown): string[] => {
  if (!value) return [...all];
  const names = value.split(',').map((s) => s.trim()).filter(Boolean);
  names.forEach(check);
  return names;
};

function cellLine(r: CheckCellResult, done: number, total: number): string {
  const figures = r.microBatch === null ? '' : ` micro-batch ${r.microBatch}, peak ${r.predictedPeakBytes === null ? '-' : formatBytes(r.predictedPeakBytes)} predicted, ${r.measuredPeakBytes === null ? '-' : formatBytes(r.measuredPeakBytes)} measured, ${r.msPerStep === null ? '-' : `${r.msPerStepSource === 'passes' ? '≈' : r.msPerStepSource === 'probe' ? '~' : ''}${(r.msPerStep / 1000).toFixed(2)} s`}/step, ETA ${r.etaSeconds === null ? '-' : formatDuration(r.etaSeconds)}`;
  return `[${done}/${total}] ${r.task} / ${r.mixer}${r.recompute === 'block' ? ' (recompute)' : ''}: ${r.status}${figures}${r.reason ? ` (${r.reason})` : ''}`;
}

export function checkCommand(y: Argv): Argv {
  return y.command(
    'check',
    'every task x every mixer at a preset (default lra): build, plan memory, train a few steps; one table of params, micro-batch, peak memory, ms/step and ETA',
    (a) =>
      a
        .option('preset', { type: 'string', default: 'lra', choices: ['lra', 'small', 'tiny'], describe: 'the settings every cell is built at' })
        .option('tasks', { type: 'string', describe: `comma-separated (default: all of ${taskNames.join(', ')})` })
        .option('mixers', { type: 'string', describe: 'comma-separated (default: every registered mixer)' })
        .option('backend', { type: 'string', choices: backendChoices, default: 'auto', describe: 'tfjs backend; auto picks the best that loads' })
        .option('steps', { type: 'number', default: 2, describe: 'training steps per cell (the first warms up)' })
        .option('budget-s', { type: 'number', default: 60, describe: "whole steps where the planner predicts them within this; else steps of 2 micro-batches, scaled" })
        .option('cell-timeout-s', { type: 'number', default: 300, describe: "stop a cell's process after this long (the row says so)" })
        .option('memory-limit-mib', { type: 'number', describe: "the memory a step may hold (default: the backend's; e.g. a smaller device's)" })
        .option('workers', { type: 'number', default: 2, describe: 'cells run at once, each in its own process' })
        .option('out', { type: 'string', default: 'runs/check', describe: 'where <preset>-check.{md,json} are written' })
        .option('resume', { type: 'boolean', default: false, describe: 'keep the cells an earlier check in --out measured; run the others' })
        .option('recompute', { type: 'boolean', default: false, hidden: true, describe: 'with --cell: model.recompute=block' })
        .option('cell', { type: 'boolean', default: false, hidden: true, describe: 'run one cell in this process (what each worker process does)' })
        .option('json', { type: 'boolean', default: false, describe: 'print the table as JSON on stdout' }),
    async (args) => {
      const tasks = list(args.tasks, taskNames, getTask);
      const mixers = list(args.mixers, mixerNames, getMixer);
      const backend = args.backend as BackendRequest;
      const budgetMs = args['budget-s'] * 1000;
      const limit = args['memory-limit-mib'] === undefined ? {} : { limitBytes: args['memory-limit-mib'] * 2 ** 20 };
      if (args.cell) {
        if (tasks.length !== 1 || mixers.length !== 1) throw new Error('--cell takes exactly one task and one mixer');
        // One JSON line once planned, one at the end: the parent reads the last that arrived.
        const row = await runCheckCell(
          { task: tasks[0]!, mixer: mixers[0]!, preset: args.preset, backend, steps: args.steps, budgetMs, ...limit, recompute: args.recompute },
          (planned) => process.stdout.write(`${JSON.stringify(planned)}\n`),
        );
        process.stdout.write(`${JSON.stringify(row)}\n`);
        return;
      }
      const log = createLogger();
      log.info({ tasks, mixers, preset: args.preset, cells: tasks.length * mixers.length }, `lra check: ${tasks.length * mixers.length} cells, ${args.workers} at a time`);
      const result = await runCheck({
        tasks, mixers, preset: args.preset, backend, steps: args.steps, budgetMs, cellTimeoutMs: args['cell-timeout-s'] * 1000, workers: args.workers, out: args.out, ...limit, resume: args.resume,
        onCell: (row, done, total) => process.stderr.write(`${cellLine(row, done, total)}\n`),
      });
      if (args.json) process.stdout.write(`${JSON.stringify(result.rows, null, 2)}\n`);
      else process.stdout.write(`table: ${result.markdownPath} (JSON: ${result.jsonPath})\n`);
    },
  );
}
