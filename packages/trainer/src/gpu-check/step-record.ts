// One step of scripts/gpu-check.sh as one JSON file: how it ended, what it printed as JSON (its
// result), the structured log lines it wrote, and the metrics and report of a training run it
// made. Built from files so that a step killed at its time limit still leaves what it had.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface StepRecordInput {
  name: string;
  command: string;
  limitS: number;
  wallS: number;
  /** The exit status; 124 when `timeout` ended the step, 137 when it had to kill it. */
  exitCode: number;
  /** What the step printed (stdout and stderr together, or stdout alone when `result` is given). */
  output: string;
  /** The step's own JSON result (e.g. stdout of `--json`), as text; unparsable text is kept as text. */
  result?: string;
  /** Training runs the step made: their metrics.jsonl and report.json are read. */
  runDirs?: string[];
  skipped?: string;
}

export interface RunSummary {
  dir: string;
  metrics: unknown[];
  report: unknown;
}

export interface StepRecord {
  step: string;
  command: string;
  ok: boolean;
  exitCode: number;
  timedOut: boolean;
  skipped?: string;
  limitS: number;
  wallS: number;
  result: unknown;
  /** Structured (JSON) log lines the step wrote, the last MAX_LOG_LINES of them. */
  log: unknown[];
  runs: RunSummary[];
  /** The end of the step's other output, for errors. */
  outputTail: string;
}

export const MAX_LOG_LINES = 400;
export const OUTPUT_TAIL_CHARS = 4000;

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** JSON objects of a run's metrics.jsonl, in order; lines cut short by a kill are left out. */
function readJsonLines(path: string): unknown[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8').split('\n').map((l) => parseJson(l)).filter((v) => typeof v === 'object' && v !== null);
}

function readRun(dir: string): RunSummary {
  const reportPath = join(dir, 'report.json');
  return {
    dir,
    metrics: readJsonLines(join(dir, 'metrics.jsonl')),
    report: existsSync(reportPath) ? (parseJson(readFileSync(reportPath, 'utf8')) ?? null) : null,
  };
}

export function buildStepRecord(input: StepRecordInput): StepRecord {
  const lines = input.output.split('\n');
  const log: unknown[] = [];
  const other: string[] = [];
  for (const line of lines) {
    const parsed = line.startsWith('{') ? parseJson(line) : undefined;
    if (typeof parsed === 'object' && parsed !== null && 'msg' in parsed) log.push(parsed);
    else if (line.trim() !== '') other.push(line);
  }
  const resultText = input.result?.trim() ?? '';
  const result = resultText === '' ? null : (parseJson(resultText) ?? resultText);
  const timedOut = input.exitCode === 124 || input.exitCode === 137;
  const record: StepRecord = {
    step: input.name,
    command: input.command,
    ok: input.skipped === undefined && input.exitCode === 0,
    exitCode: input.exitCode,
    timedOut,
    limitS: input.limitS,
    wallS: input.wallS,
    result,
    log: log.slice(-MAX_LOG_LINES),
    runs: (input.runDirs ?? []).filter((d) => existsSync(d)).map(readRun),
    outputTail: other.join('\n').slice(-OUTPUT_TAIL_CHARS),
  };
  if (input.skipped !== undefined) record.skipped = input.skipped;
  return record;
}
