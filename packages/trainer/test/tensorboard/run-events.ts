// A run's events files as TensorBoard reads them, and what metrics.jsonl says they must hold.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type DecodedEvent, decodeEvent, readTfRecords } from './event-reader.js';

/** The events files of a run, in the order TensorBoard reads them (by name). */
export const eventFiles = (run: string): string[] =>
  readdirSync(join(run, 'tb'))
    .sort()
    .map((name) => join(run, 'tb', name));

export const eventsOf = (file: string): DecodedEvent[] => readTfRecords(file).map(decodeEvent);

/** Every event of every file of the run, files in name order. */
export const runEvents = (run: string): DecodedEvent[] => eventFiles(run).flatMap(eventsOf);

export const metricLines = (run: string) =>
  readFileSync(join(run, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string; step: number; time: string; [k: string]: unknown });

/** What each metrics.jsonl record must read as: `<type>/<field>` per number but step and count, as float32. */
export function expectedScalars(run: string) {
  return metricLines(run).map((r) => ({
    step: r.step,
    wallTime: Date.parse(r.time) / 1000,
    values: Object.entries(r)
      .filter(([k, v]) => typeof v === 'number' && k !== 'step' && k !== 'count')
      .map(([k, v]) => ({ tag: `${r.type}/${k}`, simpleValue: Math.fround(v as number) })),
  }));
}

/** The events that hold scalars only, in the shape of expectedScalars. */
export const scalarEvents = (events: DecodedEvent[]) =>
  events
    .filter((e) => e.values.length > 0 && e.values.every((v) => v.simpleValue !== undefined))
    .map((e) => ({ step: e.step, wallTime: e.wallTime, values: e.values.map((v) => ({ tag: v.tag, simpleValue: v.simpleValue })) }));
