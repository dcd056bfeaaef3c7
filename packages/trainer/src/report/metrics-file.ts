import { existsSync, readFileSync } from 'node:fs';

/** The records a run appends to metrics.jsonl (see the training loop). */
export interface TrainRecord {
  type: 'train';
  step: number;
  lr: number;
  loss: number;
  accuracy: number;
  stepsPerSec: number;
  tokensPerSec: number;
  /** The highest step peak of the record's steps (absent from runs made before it was logged). */
  peakBytes?: number;
}

export interface ValRecord {
  type: 'val';
  step: number;
  loss: number;
  accuracy: number;
  count: number;
  best: boolean;
}

export interface TestRecord {
  type: 'test';
  /** The step of the checkpoint tested (the best validation one). */
  step: number;
  loss: number;
  accuracy: number;
  count: number;
}

export interface RunMetrics {
  train: TrainRecord[];
  val: ValRecord[];
  test: TestRecord | null;
}

/**
 * Parses metrics.jsonl. A line that is not JSON (cut short when a run was killed mid-write) is
 * skipped: it carries nothing a resumed run has not rewritten. Records of unknown type are
 * ignored so later record kinds do not break older readers.
 */
export function parseMetrics(text: string): RunMetrics {
  const out: RunMetrics = { train: [], val: [], test: null };
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let record: { type?: unknown; step?: unknown };
    try {
      record = JSON.parse(line) as { type?: unknown; step?: unknown };
    } catch {
      continue;
    }
    if (typeof record !== 'object' || record === null || typeof record.step !== 'number') continue;
    if (record.type === 'train') out.train.push(record as TrainRecord);
    else if (record.type === 'val') out.val.push(record as ValRecord);
    else if (record.type === 'test') out.test = record as TestRecord;
  }
  return out;
}

export function readMetrics(path: string): RunMetrics {
  return existsSync(path) ? parseMetrics(readFileSync(path, 'utf8')) : { train: [], val: [], test: null };
}

/** The last step any record reached: how far an unfinished run got. */
export function lastStep(m: RunMetrics): number | null {
  const steps = [...m.train.map((r) => r.step), ...m.val.map((r) => r.step)];
  return steps.length === 0 ? null : Math.max(...steps);
}
