/**
 * When to write the last checkpoint between validations. LRA's presets validate every 500-2,000
 * steps, and a step of their models takes minutes on a CPU: a run killed between validations
 * would lose hours. A checkpoint is written whenever writing one costs under 1% of the training
 * time since the previous one, and at least every `maxMinutes`.
 */
export class CheckpointPolicy {
  private lastSaved: number;
  private saveMs: number;

  /**
   * `bytes`: what a checkpoint holds (parameters and both Adam moments); until one has been timed,
   * writing is assumed to run at 100 MB/s.
   */
  constructor(
    private readonly maxMinutes: number,
    bytes: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.lastSaved = now();
    this.saveMs = (bytes / 100e6) * 1000;
  }

  /** Whether a checkpoint is due now. */
  due(): boolean {
    return this.now() - this.lastSaved >= Math.min(this.maxMinutes * 60_000, 100 * this.saveMs);
  }

  /** Writes one through `save`, timing it; returns the milliseconds it took. */
  async write(save: () => Promise<void>): Promise<number> {
    const t0 = this.now();
    await save();
    this.lastSaved = this.now();
    this.saveMs = this.lastSaved - t0;
    return this.saveMs;
  }
}
