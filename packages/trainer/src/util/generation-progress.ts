import cliProgress from 'cli-progress';
import type { PrepareProgress } from '@lra/data';
import { formatDuration } from '../plan/eta.js';
import type { Logger } from './logger.js';

/** Seconds of generation after which the rate is trusted for an estimate of the whole. */
const ESTIMATE_AFTER_S = 3;

/**
 * What a data generation says while it runs: how many examples it will make (as soon as the
 * generator knows), how long it expects to take (from its rate over the first seconds), and a
 * progress bar on a terminal (a log line every 10% elsewhere). A 200,000-image Pathfinder set
 * takes about half an hour on two cores: nobody should wait for one without being told.
 */
export class GenerationProgress {
  private bar: cliProgress.SingleBar | null = null;
  private started = 0;
  private announced = false;
  private estimated = false;
  private lastTenth = 0;

  constructor(
    private readonly task: string,
    private readonly log: Logger,
    private readonly enabled = Boolean(process.stderr.isTTY),
    private readonly now: () => number = () => performance.now(),
  ) {}

  readonly onProgress = (p: PrepareProgress): void => {
    if (p.stage !== 'generate' || p.total === undefined || p.total <= 0) return;
    const total = p.total;
    if (!this.announced) {
      this.announced = true;
      this.started = this.now();
      this.say(`generating ${total.toLocaleString('en-US')} ${this.task} examples (no prepared data to use; give --source DIR to read the official files instead)`, { total });
      if (this.enabled) {
        this.bar = new cliProgress.SingleBar(
          { stream: process.stderr, format: `generate {bar} {value}/{total} examples | ETA {eta_formatted}`, hideCursor: true, etaBuffer: 200 },
          cliProgress.Presets.shades_classic,
        );
        this.bar.start(total, 0);
      }
    }
    const seconds = (this.now() - this.started) / 1000;
    if (!this.estimated && seconds >= ESTIMATE_AFTER_S && p.done > 0 && p.done < total) {
      this.estimated = true;
      const rate = p.done / seconds;
      this.say(`generation expected to take about ${formatDuration(total / rate)} (${rate.toFixed(0)} examples/s)`, { rate, total });
    }
    this.bar?.update(p.done);
    const tenth = Math.floor((10 * p.done) / total);
    if (!this.enabled && tenth > this.lastTenth) {
      this.lastTenth = tenth;
      this.log.info({ done: p.done, total }, `generated ${p.done.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} ${this.task} examples`);
    }
  };

  stop(): void {
    this.bar?.stop();
    this.bar = null;
  }

  private say(msg: string, fields: object): void {
    if (this.bar) process.stderr.write('\r\x1b[K');
    this.log.info(fields, msg);
    this.bar?.render();
  }
}
