// `lra bench --table`: measures the speed table (speed-sweep.ts), builds it (speed-table.ts) and
// writes its files (speed-files.ts). The cells run one per child process unless told otherwise.
import type { MachineDescription } from '@lra/models';
import type { CellBudget } from './cell-budget.js';
import { runIsolatedCell } from './isolated-cell.js';
import { type BenchRepeats, type BenchShape, type ModelBenchRow, benchCell } from './model-bench.js';
import { writeSpeedFiles } from './speed-files.js';
import type { SpeedRunInfo } from './speed-markdown.js';
import { mixerGrowth } from './mixer-growth.js';
import { type CellRunner, measureSpeedSweep } from './speed-sweep.js';
import { type SpeedTable, buildSpeedTable } from './speed-table.js';

/** `make bench`'s mixers: softmax attention, the spectral family, and LRA's efficient attentions. */
export const DEFAULT_TABLE_MIXERS = ['attention', 'fnet', 'fftnet', 'gfnet', 'local', 'linformer', 'performer', 'linear', 's4d', 'hyena'];
/** LRA's four lengths, then 8K and 16K for the mixers whose predicted step fits the budget. */
export const DEFAULT_TABLE_LENGTHS = [1024, 2048, 3072, 4096, 8192, 16384];
export const TABLE_BASELINE = 'attention';

export interface SpeedRunOptions extends BenchShape {
  mixers: string[];
  lengths: number[];
  counts: BenchRepeats;
  longCounts: BenchRepeats;
  longStepMs: number;
  budget: CellBudget;
  /** The backend's name, given to every child (`lra bench --backend`). */
  backend: string;
  machine: MachineDescription;
  /** Threads of each child's wasm backend (`lra bench --threads`). */
  threads?: number;
  isolate: boolean;
  outDir: string;
  onRow?: (row: ModelBenchRow) => void;
}

/** Runs one cell in a child process (isolate) or in this one. */
export function cellRunner(shape: BenchShape, backend: string, isolate: boolean, timeoutMs?: number, threads?: number): CellRunner {
  return (mixer, length, counts) =>
    isolate
      ? runIsolatedCell({
        ...shape, ...counts, mixer, length, backend,
        ...(timeoutMs !== undefined ? { timeoutMs } : {}), ...(threads !== undefined ? { threads } : {}),
      })
      : benchCell(mixer, length, { ...shape, ...counts });
}

export interface SpeedRunResult {
  rows: ModelBenchRow[];
  table: SpeedTable;
  info: SpeedRunInfo;
  files: string[];
}

export async function runSpeedTable(opts: SpeedRunOptions): Promise<SpeedRunResult> {
  const started = performance.now();
  const shape: BenchShape = {
    batch: opts.batch,
    dModel: opts.dModel,
    heads: opts.heads,
    layers: opts.layers,
    mlpDim: opts.mlpDim,
    ...(opts.reversible ? { reversible: true } : {}),
    ...(opts.mixerOptions ? { mixerOptions: opts.mixerOptions } : {}),
  };
  // A cell that outlives thirty budgets is stuck, not slow.
  const timeoutMs = opts.budget.stepMs > 0 && Number.isFinite(opts.budget.stepMs) ? 30 * opts.budget.stepMs : undefined;
  const rows = await measureSpeedSweep(
    {
      mixers: opts.mixers,
      lengths: opts.lengths,
      baseline: TABLE_BASELINE,
      counts: opts.counts,
      longCounts: opts.longCounts,
      longStepMs: opts.longStepMs,
      budget: opts.budget,
      growth: (mixer) => mixerGrowth(mixer, opts.mixerOptions),
      ...(opts.onRow ? { onRow: opts.onRow } : {}),
    },
    cellRunner(shape, opts.backend, opts.isolate, timeoutMs, opts.threads),
  );
  const table = buildSpeedTable(rows, TABLE_BASELINE);
  const threads = rows.find((r) => r.threads !== undefined)?.threads;
  const info: SpeedRunInfo = {
    backend: opts.backend,
    ...(threads !== undefined ? { threads } : {}),
    machine: opts.machine,
    batch: opts.batch,
    dModel: opts.dModel,
    heads: opts.heads,
    layers: opts.layers,
    mlpDim: opts.mlpDim,
    warmup: opts.counts.warmup,
    repeats: opts.counts.repeats,
    longWarmup: opts.longCounts.warmup,
    longRepeats: opts.longCounts.repeats,
    longStepMs: opts.longStepMs,
    budgetStepMs: opts.budget.stepMs,
    memoryLimitBytes: opts.budget.memoryBytes ?? null,
    isolated: opts.isolate,
    date: new Date().toISOString(),
    wallSeconds: (performance.now() - started) / 1000,
  };
  const files = await writeSpeedFiles(opts.outDir, table, rows, info);
  return { rows, table, info, files };
}
