import cliProgress from 'cli-progress';
import { formatDuration } from '../plan/eta.js';
import type { Logger } from './logger.js';

export interface ProgressFields {
  loss?: number;
  accuracy?: number;
  stepsPerSec?: number;
}

/**
 * A progress bar on a terminal (loss, accuracy, steps/s, ETA); when stderr is not a terminal,
 * the same figures as a log line every `everySteps` so CI logs and files stay readable.
 */
export class TrainingProgress {
  private readonly bar: cliProgress.SingleBar | null;
  private lastLogged = 0;

  constructor(
    private readonly total: number,
    start: number,
    private readonly log: Logger,
    private readonly everySteps: number,
    enabled = Boolean(process.stderr.isTTY),
  ) {
    this.lastLogged = start;
    if (enabled) {
      this.bar = new cliProgress.SingleBar(
        {
          stream: process.stderr,
          format: 'train {bar} {value}/{total} | loss {loss} | acc {acc} | {sps} steps/s | ETA {runEta}',
          hideCursor: true,
          etaBuffer: 50,
        },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(total, start, { loss: '-', acc: '-', sps: '-', runEta: '-' });
    } else {
      this.bar = null;
    }
  }

  update(step: number, fields: ProgressFields): void {
    const shown = {
      loss: fields.loss === undefined ? '-' : fields.loss.toFixed(4),
      acc: fields.accuracy === undefined ? '-' : fields.accuracy.toFixed(3),
      sps: fields.stepsPerSec === undefined ? '-' : fields.stepsPerSec.toFixed(2),
    };
    if (this.bar) {
      this.bar.update(step, shown);
    } else if (step - this.lastLogged >= this.everySteps || step === this.total) {
      this.lastLogged = step;
      const eta = fields.stepsPerSec ? Math.round((this.total - step) / fields.stepsPerSec) : undefined;
      this.log.info({ step, total: this.total, ...fields, etaSeconds: eta }, `step ${step}/${this.total}`);
    }
  }

  /**
   * Moves the bar to `step` with the run's ETA (training and evaluations left, from measured
   * step times): long steps show progress every step, not only when figures are logged.
   */
  tick(step: number, etaSeconds: number): void {
    this.bar?.update(step, { runEta: formatDuration(etaSeconds) });
  }

  /** Lets a log line through without breaking the bar. */
  interrupt(fn: () => void): void {
    if (!this.bar) return fn();
    process.stderr.write('\r\x1b[K');
    fn();
    this.bar.render();
  }

  stop(): void {
    this.bar?.stop();
  }
}
