import cliProgress from 'cli-progress';

/** A byte-counting progress bar for downloads and extraction (terminal only; silent otherwise). */
export class ByteProgress {
  private bar: cliProgress.SingleBar | null = null;
  private phase = '';

  constructor(private readonly enabled = Boolean(process.stderr.isTTY)) {}

  update(phase: string, done: number, total: number | undefined): void {
    if (!this.enabled) return;
    if (phase !== this.phase) {
      this.bar?.stop();
      this.phase = phase;
      this.bar = new cliProgress.SingleBar(
        { stream: process.stderr, format: `${phase.padEnd(8)} {bar} {percentage}% | {doneMiB}/{totalMiB} MiB | ETA {eta_formatted}`, hideCursor: true },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(total ?? 0, 0, { doneMiB: '0', totalMiB: total ? (total / 2 ** 20).toFixed(0) : '?' });
    }
    if (total && this.bar?.getTotal() !== total) this.bar?.setTotal(total);
    this.bar?.update(done, { doneMiB: (done / 2 ** 20).toFixed(1), totalMiB: total ? (total / 2 ** 20).toFixed(0) : '?' });
  }

  interrupt(fn: () => void): void {
    if (!this.bar) return fn();
    process.stderr.write('\r\x1b[K');
    fn();
    this.bar.render();
  }

  stop(): void {
    this.bar?.stop();
    this.bar = null;
  }
}
