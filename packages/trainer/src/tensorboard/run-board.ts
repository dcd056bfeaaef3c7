import { join } from 'node:path';
import { type Scalar, scalarsEvent, textEvent } from './event.js';
import { trimEventFiles } from './event-file-trim.js';
import { EventFileWriter } from './event-file-writer.js';

/** The folder of a run directory that holds its TensorBoard events files. */
export const TENSORBOARD_DIR = 'tb';

/** A record of metrics.jsonl: its kind, its step, and numbers and flags. */
export interface MetricRecord {
  type: string;
  step: number;
  [field: string]: unknown;
}

/**
 * A run's TensorBoard log, mirroring metrics.jsonl: each record becomes one event at its step,
 * with a scalar `<type>/<field>` (train/loss, val/accuracy, test/loss, ...) for each of its
 * numbers. `count` is a size, not a metric, and stays out. `tensorboard --logdir runs` then shows
 * every run beside the others.
 */
export class RunBoard {
  private constructor(private readonly writer: EventFileWriter) {}

  get path(): string {
    return this.writer.path;
  }

  /**
   * A fresh run starts its first events file with the resolved config as text (step 0). A resumed
   * run first trims the earlier files as metrics.jsonl is trimmed (the steps after its checkpoint,
   * and any test records), then appends a file of its own: TensorBoard merges the files of a folder.
   */
  static async open(runDir: string, opts: { config: unknown; resumeStep: number | null }): Promise<RunBoard> {
    const dir = join(runDir, TENSORBOARD_DIR);
    const { resumeStep } = opts;
    const earlierFiles = resumeStep === null ? 0 : await trimEventFiles(dir, (event) => event.step <= resumeStep && !event.tags.some(isTestTag));
    const writer = await EventFileWriter.create(dir);
    // A run resumed from a version that wrote no events files gets its config too.
    if (earlierFiles === 0) await writer.write([textEvent(Date.now() / 1000, 0, 'config', configMarkdown(opts.config))]);
    return new RunBoard(writer);
  }

  /** Appends the record's scalars; the write is done (with the operating system) when this returns. */
  async write(record: MetricRecord, time: Date): Promise<void> {
    const scalars = scalarsOf(record);
    if (scalars.length > 0) await this.writer.write([scalarsEvent(time.getTime() / 1000, record.step, scalars)]);
  }
}

export function scalarsOf(record: MetricRecord): Scalar[] {
  return Object.entries(record)
    .filter(([field, value]) => field !== 'step' && field !== 'count' && typeof value === 'number' && Number.isFinite(value))
    .map(([field, value]) => ({ tag: `${record.type}/${field}`, value: value as number }));
}

/** The test records' tags (test/..., test-last/...), rewritten by a resumed run. */
const isTestTag = (tag: string): boolean => tag.startsWith('test/') || tag.startsWith('test-last/');

/** The config as a Markdown code block (four spaces), so the text plugin shows the JSON as written. */
export function configMarkdown(config: unknown): string {
  return JSON.stringify(config, null, 2)
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
}
