import { join } from 'node:path';
import { describeOwner, type HeldLock, tryLock } from '../util/file-lock.js';

/**
 * A sweep claims each run before starting it, so that two sweeps of one file (two terminals, two
 * cluster submissions) split the runs between them instead of training every run twice. Kept apart
 * from the run's own lock, which the `lra train` child takes.
 */
export const SWEEP_CLAIM_FILE = 'sweep.lock';

export type Claim = { held: HeldLock } | { takenBy: string };

export async function claimRun(out: string): Promise<Claim> {
  const got = await tryLock(join(out, SWEEP_CLAIM_FILE), 'lra sweep');
  return 'heldBy' in got ? { takenBy: describeOwner(got.heldBy) } : { held: got };
}
