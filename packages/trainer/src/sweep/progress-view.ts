import cliProgress from 'cli-progress';
import type { Logger } from '../util/logger.js';
import type { SweepRun } from './expand.js';
import type { RunAction } from './plan.js';

/** How a run of the pool ended. */
export type RunStatus = 'skipped' | 'finished' | 'failed' | 'stopped';

export interface RunOutcome {
  run: SweepRun;
  action: RunAction;
  status: RunStatus;
  exitCode: number | null;
  signal: string | null;
  /** For a failure: the last line of the run's log (its error message). */
  lastLine: string | null;
  seconds: number;
}

/** The pool's one view of itself: a terminal display or log lines. */
export interface SweepView {
  begin(counts: { total: number; skipped: number; toRun: number; workers: number }): void;
  started(run: SweepRun, action: RunAction): void;
  step(run: SweepRun, step: number, total: number): void;
  ended(outcome: RunOutcome): void;
  close(): void;
}

/** The line a failed run leaves in the sweep's output. */
export function failureLine(o: RunOutcome): string {
  const how = o.exitCode !== null ? `exit code ${o.exitCode}` : o.signal !== null ? `killed by ${o.signal}` : 'did not start';
  return `run ${o.run.index} (${o.run.id}) failed, ${how}: ${o.lastLine ?? '(no output)'}`;
}

/** Log lines, for a pipe, a file or CI: one when a run starts and one when it ends. */
export class LogSweepView implements SweepView {
  private done = 0;
  private total = 0;
  constructor(private readonly log: Logger) {}

  begin(c: { total: number; skipped: number; toRun: number; workers: number }): void {
    this.total = c.toRun;
    this.log.info(c, `sweep: ${c.total} runs, ${c.skipped} already finished, ${c.toRun} to run on ${c.workers} worker${c.workers === 1 ? '' : 's'}`);
  }
  started(run: SweepRun, action: RunAction): void {
    this.log.info({ index: run.index, id: run.id, out: run.out }, `${action === 'resume' ? 'resume' : 'start'} ${run.id}`);
  }
  step(): void {
    // Steps are in each run's train.log; here they would drown the starts and ends.
  }
  ended(o: RunOutcome): void {
    this.done += 1;
    const where = { index: o.run.index, id: o.run.id, seconds: Math.round(o.seconds), done: this.done, of: this.total };
    if (o.status === 'failed') this.log.error({ ...where, exitCode: o.exitCode, signal: o.signal }, failureLine(o));
    else if (o.status === 'stopped') this.log.warn(where, `stopped ${o.run.id}`);
    else if (o.status === 'skipped') this.log.info(where, `skipped ${o.run.id}: ${o.lastLine ?? 'finished before'}`);
    else this.log.info(where, `finished ${o.run.id} (${this.done}/${this.total})`);
  }
  close(): void {}
}

/** A terminal display: one bar for the sweep (with counts) and one per running run. */
export class BarSweepView implements SweepView {
  private readonly multi: cliProgress.MultiBar;
  private overall: cliProgress.SingleBar | null = null;
  private readonly bars = new Map<number, cliProgress.SingleBar>();
  private counts = { running: 0, failed: 0, skipped: 0 };

  constructor(stream: NodeJS.WriteStream = process.stderr) {
    this.multi = new cliProgress.MultiBar(
      { stream, hideCursor: true, clearOnComplete: false, autopadding: true, barsize: 24, format: '{label} {bar} {value}/{total} {unit}{extra}' },
      cliProgress.Presets.shades_classic,
    );
  }

  private extra(): string {
    const c = this.counts;
    return ` | ${c.running} running | ${c.failed} failed | ${c.skipped} skipped`;
  }

  begin(c: { total: number; skipped: number; toRun: number; workers: number }): void {
    this.counts.skipped = c.skipped;
    this.overall = this.multi.create(c.total, c.skipped, { label: 'sweep', unit: 'runs', extra: this.extra() });
  }
  started(run: SweepRun): void {
    this.counts.running += 1;
    this.overall?.update({ extra: this.extra() });
    this.bars.set(run.index, this.multi.create(1, 0, { label: `  ${run.id}`, unit: 'steps', extra: '' }));
  }
  step(run: SweepRun, step: number, total: number): void {
    const bar = this.bars.get(run.index);
    if (!bar) return;
    bar.setTotal(total);
    bar.update(step);
  }
  ended(o: RunOutcome): void {
    this.counts.running -= 1;
    if (o.status === 'failed') {
      this.counts.failed += 1;
      this.multi.log(`${failureLine(o)}\n`);
    }
    const bar = this.bars.get(o.run.index);
    if (bar) this.multi.remove(bar);
    this.bars.delete(o.run.index);
    this.overall?.increment(1, { extra: this.extra() });
  }
  close(): void {
    this.multi.stop();
  }
}
