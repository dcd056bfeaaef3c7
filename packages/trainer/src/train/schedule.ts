import type { TrainConfig } from '../config/types.js';

/**
 * LRA's learning-rate factors, evaluated at `step`, the number of updates already made (so the
 * very first update, at step 0, has rate 0 under linear warmup, exactly as in LRA's schedule):
 *  - rsqrt:    base * min(1, step / warmup) * 1 / sqrt(max(step, warmup))
 *  - cosine:   base * min(1, step / warmup) * 0.5 (1 + cos(pi * progress)), progress over the
 *              steps after warmup, reaching 0 at the last step
 *  - constant: base * min(1, step / warmup)
 */
export function learningRate(step: number, cfg: Pick<TrainConfig, 'lr' | 'schedule' | 'warmup' | 'steps'>): number {
  const warmup = cfg.warmup > 0 ? Math.min(1, step / cfg.warmup) : 1;
  switch (cfg.schedule) {
    case 'rsqrt':
      return cfg.lr * warmup / Math.sqrt(Math.max(step, cfg.warmup, 1));
    case 'cosine': {
      const span = Math.max(1, cfg.steps - cfg.warmup);
      const progress = Math.min(1, Math.max(0, (step - cfg.warmup) / span));
      return cfg.lr * warmup * 0.5 * (1 + Math.cos(Math.PI * progress));
    }
    case 'constant':
      return cfg.lr * warmup;
  }
}

/** The schedule's highest rate (at the end of warmup) in words, for the log at the start of a run. */
export function describePeakRate(cfg: Pick<TrainConfig, 'lr' | 'schedule' | 'warmup' | 'steps'>): string {
  const peak = learningRate(cfg.warmup, cfg);
  const shape = cfg.schedule === 'rsqrt' ? `train.lr ${cfg.lr} / sqrt(${Math.max(cfg.warmup, 1)})` : `train.lr ${cfg.lr}`;
  return `learning rate: ${cfg.schedule} schedule, peak ${peak.toPrecision(3)} (${shape}) at step ${cfg.warmup}`;
}
