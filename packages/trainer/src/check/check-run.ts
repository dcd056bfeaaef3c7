// `lra check`: every task x every registered mixer at a preset, each cell built, planned and
// trained for a few steps in its own process, and one table of what the runs would need.
import { join } from 'node:path';
import { describeMachine } from '@lra/models';
import type { BackendRequest } from '../config/types.js';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.js';
import type { CheckCellRequest, CheckCellResult } from './check-cell.js';
import { runCellInChild } from './check-child.js';
import { checkMarkdown } from './check-table.js';

export interface CheckOptions {
  tasks: readonly string[];
  mixers: readonly string[];
  preset: string;
  backend: BackendRequest;
  steps: number;
  budgetMs: number;
  /** A cell's process is stopped after this long. */
  cellTimeoutMs: number;
  workers: number;
  out: string;
  /** The memory a step may hold; default the backend's. */
  limitBytes?: number;
  /** Called as each cell ends. */
  onCell?: (row: CheckCellResult, done: number, total: number) => void;
}

export interface CheckResult {
  rows: CheckCellResult[];
  markdownPath: string;
  jsonPath: string;
}

export async function runCheck(opts: CheckOptions, runCell = runCellInChild): Promise<CheckResult> {
  const requests: CheckCellRequest[] = opts.tasks.flatMap((task) =>
    opts.mixers.map((mixer) => ({
      task, mixer, preset: opts.preset, backend: opts.backend, steps: opts.steps, budgetMs: opts.budgetMs,
      ...(opts.limitBytes === undefined ? {} : { limitBytes: opts.limitBytes }),
    })),
  );
  const rows: CheckCellResult[] = new Array(requests.length);
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < requests.length) {
      const index = next++;
      rows[index] = await runCell(requests[index]!, opts.cellTimeoutMs);
      done++;
      opts.onCell?.(rows[index]!, done, requests.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.workers, requests.length)) }, worker));
  const machine = describeMachine();
  const backend = rows.find((r) => r.backend)?.backend ?? opts.backend;
  const markdownPath = join(opts.out, `${opts.preset}-check.md`);
  const jsonPath = join(opts.out, `${opts.preset}-check.json`);
  await writeFileAtomic(markdownPath, checkMarkdown(rows, { preset: opts.preset, backend, machine: `${machine.cpu} (${machine.cores} cores)`, steps: opts.steps }));
  await writeJsonAtomic(jsonPath, { preset: opts.preset, backend, machine, steps: opts.steps, budgetMs: opts.budgetMs, rows });
  return { rows, markdownPath, jsonPath };
}
