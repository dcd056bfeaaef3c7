import cliProgress from 'cli-progress';
import { formatDuration } from '../plan/eta.js';
import { formatBytes } from '../plan/memory-limit.js';
import type { Logger } from './logger.js';

export interface ProgressFields {
  loss?: number;
  accuracy?: number;
  stepsPerSec?: number;
}

/** What every step knows: the run's ETA, the recent speed and the highest step peak so far. */
export interface StepFigures {
  etaSeconds: number;
  stepsPerSec: number;
  peakBytes: number;
}

/** One evaluation pass's indicator: its own bar on a terminal, log lines elsewhere. */
export interface EvaluationProgress {
  update(batchesDone: number): void;
  stop(): void;
}

/** A log line during a long evaluation at most this often when stderr is not a terminal. */
const EVAL_LOG_SECONDS = 30;

const TRAIN_FORMAT = 'train {bar} {value}/{total} | loss {loss} | acc {acc} | {sps} steps/s | mem {mem} | ETA {runEta}';
const EVAL_FORMAT = '{split} {bar} {value}/{total} batches | {elapsed}s';

/**
 * A progress bar on a terminal (loss, accuracy, steps/s, memory, ETA) from the first step on,
 * which an evaluation replaces with a bar of its own while it runs; when stderr is not a
 * terminal, the same figures as a log line every `everySteps` so CI logs and files stay readable.
 */
export class TrainingProgress {
  private readonly bar: cliProgress.SingleBar | null;
  private lastLogged = 0;
  private value: number;
  private payload = { loss: '-', acc: '-', sps: '-', mem: '-', runEta: '-' };

  constructor(
    private readonly total: number,
    start: number,
    private readonly log: Logger,
    private readonly everySteps: number,
    enabled = Boolean(process.stderr.isTTY),
  ) {
    this.lastLogged = start;
    this.value = start;
    if (enabled) {
      // clearOnComplete: an evaluation's bar takes this line while it runs, then gives it back.
      this.bar = new cliProgress.SingleBar(
        { stream: process.stderr, format: TRAIN_FORMAT, hideCursor: true, clearOnComplete: true },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(total, start, this.payload);
    } else {
      this.bar = null;
    }
  }

  /** The figures of the records logged every `everySteps` (loss and accuracy over that window). */
  update(step: number, fields: ProgressFields): void {
    if (fields.loss !== undefined) this.payload.loss = fields.loss.toFixed(4);
    if (fields.accuracy !== undefined) this.payload.acc = fields.accuracy.toFixed(3);
    if (fields.stepsPerSec !== undefined) this.payload.sps = fields.stepsPerSec.toFixed(2);
    this.value = step;
    if (this.bar) {
      this.bar.update(step, this.payload);
    } else if (step - this.lastLogged >= this.everySteps || step === this.total) {
      this.lastLogged = step;
      const eta = fields.stepsPerSec ? Math.round((this.total - step) / fields.stepsPerSec) : undefined;
      this.log.info({ step, total: this.total, ...fields, etaSeconds: eta }, `step ${step}/${this.total}`);
    }
  }

  /**
   * Moves the bar to `step` every step with the run's ETA (training and evaluations left), the
   * speed of the recent steps and the peak memory: a run shows them from its first step, not
   * only once the first window of `everySteps` is logged.
   */
  tick(step: number, figures: StepFigures): void {
    this.value = step;
    this.payload.runEta = formatDuration(figures.etaSeconds);
    if (Number.isFinite(figures.stepsPerSec) && figures.stepsPerSec > 0) {
      this.payload.sps = figures.stepsPerSec >= 10 ? figures.stepsPerSec.toFixed(1) : figures.stepsPerSec.toPrecision(2);
    }
    if (figures.peakBytes > 0) this.payload.mem = formatBytes(figures.peakBytes);
    this.bar?.update(step, this.payload);
  }

  /** An evaluation over `batches` batches of `split`: its own bar, or a log line every 30 s. */
  evaluation(split: string, batches: number): EvaluationProgress {
    const started = Date.now();
    if (!this.bar) {
      let lastLog = started;
      this.log.info({ split, batches }, `evaluating ${split}: ${batches} batches`);
      return {
        update: (done) => {
          if (Date.now() - lastLog < EVAL_LOG_SECONDS * 1000 || done >= batches) return;
          lastLog = Date.now();
          this.log.info({ split, done, batches }, `evaluating ${split}: ${done}/${batches} batches`);
        },
        stop: () => {},
      };
    }
    this.bar.stop();
    const evalBar = new cliProgress.SingleBar(
      { stream: process.stderr, format: EVAL_FORMAT, hideCursor: true, clearOnComplete: true },
      cliProgress.Presets.shades_classic,
    );
    const elapsed = () => ((Date.now() - started) / 1000).toFixed(0);
    evalBar.start(batches, 0, { split, elapsed: elapsed() });
    let stopped = false;
    return {
      update: (done) => evalBar.update(done, { split, elapsed: elapsed() }),
      stop: () => {
        if (stopped) return;
        stopped = true;
        evalBar.stop();
        this.bar!.start(this.total, this.value, this.payload);
      },
    };
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
