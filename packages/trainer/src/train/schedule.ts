import type { TrainConfig } from '../config/types.js';

/**
 * LRA's learning-rate factors, evaluated at `step`, the number of updates already made (so the
 * very first update, at step 0, has rate 0 under linear warmup, exactly as in LRA's schedule):
 *  - rsqrt:    base * min(1, step / warmup) * 1 / sqrt(max(step, warmup))
 *  - cosine:   base * min(1, step / warmup) * 0.5 (1 + cos(pi * progress)), progress over the
 *              steps after warmup, reaching 0 at the last step
 *  - linear:   base * min(1, step / warmup) * (1 - progress), the same progress: fairseq's
 *              linear_decay to 0 after a linear warmup (Mega's LRA runs)
 *  - constant: base * min(1, step / warmup)
 * cosine is also state-spaces/s4's cosine_warmup (transformers' get_cosine_schedule_with_warmup):
 * linear warmup from 0 over num_warmup_steps, then half a cosine to 0 at num_training_steps.
 */
export function learningRate(step: number, cfg: Pick<TrainConfig, 'lr' | 'schedule' | 'warmup' | 'steps'>): number {
  const warmup = cfg.warmup > 0 ? Math.min(1, step / cfg.warmup) : 1;
  switch (cfg.schedule) {
    case 'rsqrt':
      return cfg.lr * warmup / Math.sqrt(Math.max(step, cfg.warmup, 1));
    case 'cosine':
      return cfg.lr * warmup * 0.5 * (1 + Math.cos(Math.PI * decayProgress(step, cfg)));
    case 'linear':
      return cfg.lr * warmup * (1 - decayProgress(step, cfg));
    case 'constant':
      return cfg.lr * warmup;
  }
}

/** How far the decay after warmup has gone at `step`: 0 at the end of warmup, 1 at the last step. */
function decayProgress(step: number, cfg: Pick<TrainConfig, 'warmup' | 'steps'>): number {
  const span = Math.max(1, cfg.steps - cfg.warmup);
  return Math.min(1, Math.max(0, (step - cfg.warmup) / span));
}

/** The schedule's highest rate (at the end of warmup) in words, for the log at the start of a run. */
export function describePeakRate(cfg: Pick<TrainConfig, 'lr' | 'schedule' | 'warmup' | 'steps'>): string {
  const peak = learningRate(cfg.warmup, cfg);
  const shape = cfg.schedule === 'rsqrt' ? `train.lr ${cfg.lr} / sqrt(${Math.max(cfg.warmup, 1)})` : `train.lr ${cfg.lr}`;
  return `learning rate: ${cfg.schedule} schedule, peak ${peak.toPrecision(3)} (${shape}) at step ${cfg.warmup}`;
}
