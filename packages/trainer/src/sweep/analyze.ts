import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { lraBin } from './train-args.js';

/** What `lra analyze --run DIR` writes into a run folder. */
export const ANALYSIS_DIR = 'analysis';
export const ANALYSIS_JSON = join(ANALYSIS_DIR, 'analysis.json');

/** Whether a help text lists a command: yargs prints `  lra <command> ...` for each. */
export function helpListsCommand(helpText: string, command: string): boolean {
  return new RegExp(`^\\s+\\S*lra(\\.js)? ${command}(\\s|$)`, 'm').test(helpText);
}

/**
 * Whether this build of `lra` has the `analyze` command. `lra analyze --help` cannot tell: for an
 * unknown command yargs prints the program's help and exits 0; its command list can.
 */
export function analyzeCommandAvailable(): boolean {
  const r = spawnSync(process.execPath, [lraBin(), '--help'], { encoding: 'utf8', timeout: 60_000 });
  return r.status === 0 && helpListsCommand(r.stdout, 'analyze');
}

/** A finished run whose analysis is missing or older than its report. */
export function needsAnalysis(runDir: string): boolean {
  const report = join(runDir, 'report.json');
  if (!existsSync(report)) return false;
  const analysis = join(runDir, ANALYSIS_JSON);
  return !existsSync(analysis) || statSync(analysis).mtimeMs < statSync(report).mtimeMs;
}

export interface AnalyzeResult {
  dir: string;
  exitCode: number | null;
  /** The child's last non-empty output line: its error when it failed. */
  lastLine: string | null;
}

/** Analyses one run folder; replaceable so tests need no trained model. */
export type AnalyzeLauncher = (runDir: string, signal: AbortSignal) => Promise<AnalyzeResult>;

/** `lra analyze --run DIR`, its output appended to DIR/analyze.log. */
export const spawnAnalyzeRun: AnalyzeLauncher = (dir, signal) =>
  new Promise((resolvePromise) => {
    const log = createWriteStream(join(dir, 'analyze.log'), { flags: 'a' });
    const args = [lraBin(), 'analyze', '--run', dir];
    log.write(`# ${new Date().toISOString()} ${process.execPath} ${args.join(' ')}\n`);
    let lastLine: string | null = null;
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: process.env, signal });
    for (const stream of [child.stdout, child.stderr]) {
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        log.write(chunk);
        const lines = chunk.split('\n').filter((l) => l.trim() !== '');
        if (lines.length > 0) lastLine = lines[lines.length - 1]!;
      });
    }
    let settled = false;
    const finish = (exitCode: number | null, line: string | null): void => {
      if (settled) return;
      settled = true;
      log.end(() => resolvePromise({ dir, exitCode, lastLine: line }));
    };
    child.on('error', (err) => finish(null, signal.aborted ? 'stopped' : `could not start lra analyze: ${err.message}`));
    child.on('close', (code) => finish(code, lastLine));
  });

export interface AnalyzeOptions {
  workers: number;
  launcher?: AnalyzeLauncher;
  signal?: AbortSignal;
  onDone?: (result: AnalyzeResult) => void;
}

/** Analyses the folders, `workers` at a time, in the order given; every result, in that order. */
export async function analyzeRuns(dirs: readonly string[], opts: AnalyzeOptions): Promise<AnalyzeResult[]> {
  const launcher = opts.launcher ?? spawnAnalyzeRun;
  const signal = opts.signal ?? new AbortController().signal;
  const results: AnalyzeResult[] = new Array(dirs.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (!signal.aborted && next < dirs.length) {
      const i = next++;
      const result = await launcher(dirs[i]!, signal);
      results[i] = result;
      opts.onDone?.(result);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.workers, dirs.length)) }, worker));
  return results.filter((r) => r !== undefined);
}
