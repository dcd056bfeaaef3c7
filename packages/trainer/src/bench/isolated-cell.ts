// One benchmark cell in a process of its own. A wasm heap that ran out of memory is unusable
// for the rest of its process, so one failing cell would otherwise fail every cell after it;
// and the process's peak resident set only belongs to one cell when the process ran only that.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { formatDuration } from './cell-budget.js';
import { type BenchRepeats, type BenchShape, type ModelBenchRow, unmeasuredRow } from './model-bench.js';

/** The `lra` program beside this module's package (src/bench and dist/bench both sit two levels down). */
export const LRA_BIN = fileURLToPath(new URL('../../bin/lra.js', import.meta.url));

export interface IsolatedCellRequest extends BenchShape, BenchRepeats {
  mixer: string;
  length: number;
  /** The backend the child selects (as `lra bench --backend`). */
  backend: string;
  /** Threads of the child's wasm backend (its `--threads`); default the child's own default. */
  threads?: number;
  /** Kill the child after this long (its row says so); default no limit. */
  timeoutMs?: number;
}

/** The `lra bench` arguments that measure exactly this one cell in the child's own process. */
export function cellArguments(req: IsolatedCellRequest): string[] {
  return [
    'bench', '--mixers', req.mixer, '--lengths', String(req.length),
    '--batch', String(req.batch), '--d-model', String(req.dModel), '--heads', String(req.heads),
    '--layers', String(req.layers), '--mlp-dim', String(req.mlpDim),
    '--warmup', String(req.warmup), '--repeats', String(req.repeats),
    '--backend', req.backend, '--no-isolate', '--json',
    ...(req.threads !== undefined ? ['--threads', String(req.threads)] : []),
    ...(req.reversible ? ['--reversible'] : []),
    ...(req.mixerOptions ? ['--mixer-options', JSON.stringify(req.mixerOptions)] : []),
  ];
}

/** Failures that mean the backend ran out of memory, as tfjs-backend-wasm and V8 word them. */
const OUT_OF_MEMORY = /memory access out of bounds|Aborted\(|Cannot enlarge memory|out of memory|Array buffer allocation failed|allocation failed/i;

export function isOutOfMemory(message: string): boolean {
  return OUT_OF_MEMORY.test(message);
}

/** The row of a child's `lra bench --json` output for one cell. */
export function parseCellOutput(stdout: string, mixer: string, length: number): ModelBenchRow {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch {
    throw new Error(`lra bench for ${mixer} @ ${length} printed no JSON: ${stdout.trim().slice(0, 200) || '(nothing)'}`);
  }
  const results = (parsed as { results?: unknown }).results;
  const row = Array.isArray(results) ? (results[0] as Partial<ModelBenchRow> | undefined) : undefined;
  if (!row || row.mixer !== mixer || row.length !== length) {
    throw new Error(`lra bench for ${mixer} @ ${length} printed no result for that cell`);
  }
  // JSON has no NaN: a failed cell's timings come back as null.
  const number = (v: unknown) => (typeof v === 'number' ? v : Number.NaN);
  return {
    ...(row as ModelBenchRow),
    forwardMs: number(row.forwardMs),
    stepMs: number(row.stepMs),
    tokensPerSec: number(row.tokensPerSec),
  };
}

/** Runs `lra bench` for one cell in a child process and returns its row; a child that dies gives an error row. */
export function runIsolatedCell(req: IsolatedCellRequest, bin = LRA_BIN): Promise<ModelBenchRow> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...cellArguments(req)], {
      env: { ...process.env, LRA_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let timedOut = false;
    const timer =
      req.timeoutMs === undefined
        ? null
        : setTimeout(() => {
            timedOut = true;
            child.kill('SIGKILL');
          }, req.timeoutMs);
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      const asked = req.threads !== undefined ? { requestedThreads: req.threads } : {};
      const failed = (error: string) => resolve({ ...unmeasuredRow(req.mixer, req.length, req, { error }), ...asked });
      if (timedOut) return failed(`timed out after ${formatDuration(req.timeoutMs!)}`);
      if (code !== 0) {
        const lines = stderr.trim().split('\n').filter((l) => l.trim() && !l.startsWith('{'));
        const last = lines[lines.length - 1]?.trim() ?? '';
        return failed(signal ? `killed by ${signal}${last ? ` (${last})` : ''}` : last || `exited with code ${code}`);
      }
      try {
        const row = parseCellOutput(stdout, req.mixer, req.length);
        resolve(req.threads !== undefined ? { ...row, requestedThreads: req.threads } : row);
      } catch (err) {
        failed((err as Error).message);
      }
    });
  });
}
