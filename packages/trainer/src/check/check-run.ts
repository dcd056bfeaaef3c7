// `lra check`: every task x every registered mixer at a preset, each cell built, planned and
// trained for a few steps in its own process, and one table of what the runs would need.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { taskNames } from '@lra/data';
import { describeMachine, mixerNames } from '@lra/models';
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
  /** Keep the cells an earlier check of this preset measured (its JSON in `out`), run the others. */
  resume?: boolean;
  /** Called as each cell ends. */
  onCell?: (row: CheckCellResult, done: number, total: number) => void;
}

export interface CheckResult {
  rows: CheckCellResult[];
  markdownPath: string;
  jsonPath: string;
}

/** Tasks in the registry's order, then mixers in theirs. */
function byGridOrder(a: CheckCellResult, b: CheckCellResult): number {
  const rank = (list: readonly string[], name: string) => (list.indexOf(name) + list.length + 1) % (list.length + 1);
  return rank(taskNames, a.task) - rank(taskNames, b.task) || rank(mixerNames, a.mixer) - rank(mixerNames, b.mixer);
}

/** Rows of an earlier check of the same preset, to continue it (cells already measured are kept). */
function earlierRows(jsonPath: string): Map<string, CheckCellResult> {
  try {
    const saved = JSON.parse(readFileSync(jsonPath, 'utf8')) as { rows?: Array<CheckCellResult | null> };
    return new Map((saved.rows ?? []).filter((r): r is CheckCellResult => r !== null).map((r) => [`${r.task}/${r.mixer}`, r]));
  } catch {
    return new Map();
  }
}

export async function runCheck(opts: CheckOptions, runCell = runCellInChild): Promise<CheckResult> {
  const requests: CheckCellRequest[] = opts.tasks.flatMap((task) =>
    opts.mixers.map((mixer) => ({
      task, mixer, preset: opts.preset, backend: opts.backend, steps: opts.steps, budgetMs: opts.budgetMs,
      ...(opts.limitBytes === undefined ? {} : { limitBytes: opts.limitBytes }),
    })),
  );
  const markdownPath = join(opts.out, `${opts.preset}-check.md`);
  const jsonPath = join(opts.out, `${opts.preset}-check.json`);
  const kept = opts.resume ? earlierRows(jsonPath) : new Map<string, CheckCellResult>();
  const rows: Array<CheckCellResult | null> = requests.map((r) => kept.get(`${r.task}/${r.mixer}`) ?? null);
  const machine = describeMachine();
  // The table is rewritten after every cell: a check stopped half-way keeps what it measured.
  // Cells of the earlier check outside this one's grid stay in the files, after this grid's.
  const inGrid = new Set(requests.map((r) => `${r.task}/${r.mixer}`));
  const others = [...kept].filter(([key]) => !inGrid.has(key)).map(([, row]) => row);
  const save = async (): Promise<void> => {
    const done = [...rows.filter((r): r is CheckCellResult => r !== null), ...others].sort(byGridOrder);
    const backend = done.find((r) => r.backend)?.backend ?? opts.backend;
    await writeFileAtomic(markdownPath, checkMarkdown(done, { preset: opts.preset, backend, machine: `${machine.cpu} (${machine.cores} cores)`, steps: opts.steps }));
    await writeJsonAtomic(jsonPath, { preset: opts.preset, backend, machine, steps: opts.steps, budgetMs: opts.budgetMs, rows: [...rows, ...others] });
  };
  let next = 0;
  let done = rows.filter((r) => r !== null).length;
  let writing = Promise.resolve();
  const worker = async (): Promise<void> => {
    while (next < requests.length) {
      const index = next++;
      if (rows[index] !== null) continue;
      let row = await runCell(requests[index]!, opts.cellTimeoutMs);
      // What does not fit as it is (or dies, as wasm may when a malloc fails inside a kernel) may
      // fit with activations recomputed: the table says which.
      if (row.status === 'does not fit' || row.status === 'failed') {
        const again = await runCell({ ...requests[index]!, recompute: true }, opts.cellTimeoutMs);
        row =
          again.status === 'ok'
            ? again
            : { ...(again.status === 'skipped' ? again : row), reason: `${row.reason}; with model.recompute=block: ${again.status}, ${again.reason}` };
      }
      rows[index] = row;
      done++;
      opts.onCell?.(row, done, requests.length);
      writing = writing.then(save);
      await writing;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.workers, requests.length)) }, worker));
  await save();
  return { rows: rows as CheckCellResult[], markdownPath, jsonPath };
}
