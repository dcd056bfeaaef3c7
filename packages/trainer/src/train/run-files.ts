import { existsSync, readFileSync } from 'node:fs';
import { appendFile, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { TENSORBOARD_DIR } from '../tensorboard/run-board.js';
import { writeFileAtomic } from '../util/atomic.js';

/** The files of one run directory, in one place so every command agrees on them. */
export class RunFiles {
  constructor(readonly dir: string) {}

  get config(): string {
    return join(this.dir, 'config.json');
  }
  get report(): string {
    return join(this.dir, 'report.json');
  }
  get metrics(): string {
    return join(this.dir, 'metrics.jsonl');
  }
  get lastCheckpoint(): string {
    return join(this.dir, 'checkpoints', 'last.ckpt');
  }
  get bestCheckpoint(): string {
    return join(this.dir, 'checkpoints', 'best.ckpt');
  }
  get checkpoints(): string {
    return join(this.dir, 'checkpoints');
  }
  /** TensorBoard's events files (see tensorboard/run-board.ts). */
  get tensorboard(): string {
    return join(this.dir, TENSORBOARD_DIR);
  }

  /**
   * Removes what an earlier run wrote (its report, summary, plots, metrics, TensorBoard events,
   * checkpoints, and the `lra analyze` and `lra export` output, which described the old weights),
   * keeping anything else the user put there.
   */
  async prepareFresh(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const written = [this.report, join(this.dir, 'report.md'), join(this.dir, 'plots'), this.metrics, this.tensorboard, this.checkpoints, join(this.dir, 'analysis'), join(this.dir, 'export')];
    await Promise.all(written.map((p) => rm(p, { recursive: true, force: true })));
  }

  /** One record, stamped with the wall-clock time it was written (ISO 8601, UTC); returns that time. */
  async appendMetric(record: Record<string, unknown>): Promise<Date> {
    const time = new Date();
    await appendFile(this.metrics, `${JSON.stringify({ ...record, time: time.toISOString() })}\n`);
    return time;
  }

  /**
   * Drops metric lines written after `step` (by a run killed after its last checkpoint), so a
   * resumed run's metrics.jsonl reads as one uninterrupted run.
   */
  async truncateMetricsAfter(step: number): Promise<void> {
    if (!existsSync(this.metrics)) return;
    const kept = readFileSync(this.metrics, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .filter((line) => {
        try {
          return (JSON.parse(line) as { step?: number }).step! <= step;
        } catch {
          return false; // a line cut short by the kill
        }
      });
    await writeFileAtomic(this.metrics, kept.map((l) => `${l}\n`).join(''));
  }

  /**
   * Drops the test record of a process killed after testing and before its report, so the
   * resumed run's test line is the only one.
   */
  async dropTestRecords(): Promise<void> {
    if (!existsSync(this.metrics)) return;
    const lines = readFileSync(this.metrics, 'utf8').split('\n').filter((line) => line.trim() !== '');
    // The prefix also drops the last checkpoint's records ("test-last").
    const kept = lines.filter((line) => !line.startsWith('{"type":"test'));
    if (kept.length !== lines.length) await writeFileAtomic(this.metrics, kept.map((l) => `${l}\n`).join(''));
  }
}
