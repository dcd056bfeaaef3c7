import { existsSync } from 'node:fs';
import { type Checkpoint, readCheckpoint } from './checkpoint.js';
import type { CheckpointMeta } from './checkpoint-meta.js';
import type { RunFiles } from './run-files.js';

/**
 * Reads checkpoints/last.ckpt to resume from, and verifies checkpoints/best.ckpt too: a damaged
 * best checkpoint would otherwise be found only at the test, after every remaining step was
 * trained. Each error names the file and what to do.
 */
export async function loadResumePoint(files: RunFiles, steps: number): Promise<Checkpoint<CheckpointMeta>> {
  const fail = (reason: string): never => {
    throw new Error(`cannot resume ${files.dir}: ${reason}; start the run again with --overwrite`);
  };
  let last: Checkpoint<CheckpointMeta>;
  try {
    last = await readCheckpoint<CheckpointMeta>(files.lastCheckpoint);
  } catch (err) {
    return fail((err as Error).message);
  }
  const { step, best } = last.meta;
  if (!Number.isInteger(step) || step < 0 || step > steps) fail(`${files.lastCheckpoint}: step ${step} is outside 0..${steps}`);
  if (best !== null) {
    if (!existsSync(files.bestCheckpoint)) fail(`${files.bestCheckpoint} is missing (the last checkpoint records a best one of step ${best.step})`);
    let bestStep: number;
    try {
      bestStep = (await readCheckpoint<CheckpointMeta>(files.bestCheckpoint)).meta.step;
    } catch (err) {
      return fail((err as Error).message);
    }
    if (bestStep !== best.step) fail(`${files.bestCheckpoint} is of step ${bestStep}, the last checkpoint records the best at step ${best.step}`);
  }
  return last;
}
