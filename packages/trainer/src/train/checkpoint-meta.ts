import type { ExperimentConfig } from '../config/types.js';
import type { RunTiming } from './run-timing.js';

export interface BestSoFar {
  step: number;
  valAccuracy: number;
  valLoss: number;
}

/** The header of a run's checkpoints: where the run is, and what it measured so far. */
export interface CheckpointMeta {
  step: number;
  optimizerStep: number;
  best: BestSoFar | null;
  config: ExperimentConfig;
  /** Absent in checkpoints written before speed and memory were carried across resumption. */
  timing?: RunTiming;
  /**
   * The sums of the train record being gathered when the checkpoint was written between two
   * records (a timed checkpoint): a resumed run then logs the record an uninterrupted one would.
   */
  window?: WindowSums;
}

export interface WindowSums {
  loss: number;
  correct: number;
  seen: number;
  steps: number;
}
