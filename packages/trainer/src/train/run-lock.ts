import { hostname } from 'node:os';
import { join } from 'node:path';
import { describeOwner, FOREIGN_STALE_MS, type HeldLock, type LockOwner, tryLock } from '../util/file-lock.js';

/** The file that makes one process the only writer of a run directory. */
export const RUN_LOCK_FILE = 'run.lock';

/** A second writer of a run directory: refused before it touches any file there. */
export class RunLockedError extends Error {
  override readonly name = 'RunLockedError';
  constructor(
    readonly dir: string,
    readonly owner: LockOwner,
  ) {
    super(
      `${dir} is in use by another run (${describeOwner(owner)}); wait for it to end, or choose another --out` +
        (owner.host === hostname()
          ? ''
          : ` (a process on another host cannot be checked from here: its lock is taken over once unrefreshed for ${FOREIGN_STALE_MS / 60_000} minutes; if it is gone, delete ${join(dir, RUN_LOCK_FILE)})`),
    );
  }
}

/** Takes `dir`'s run lock, or throws RunLockedError naming the process that holds it. */
export async function lockRunDir(dir: string): Promise<HeldLock> {
  const got = await tryLock(join(dir, RUN_LOCK_FILE), 'lra train');
  if ('heldBy' in got) throw new RunLockedError(dir, got.heldBy);
  return got;
}
