import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname } from 'node:path';

/**
 * An exclusive lock held as a file: `{pid, host, startedAt}`. It is created complete under a
 * temporary name and hard-linked to its place, so a second process either fails to link (the lock
 * is taken) or sees a whole record, never an empty file. A lock whose process is gone on this host
 * is stale (a SIGKILL leaves one behind) and is taken over. The process of another host (a cluster
 * node sharing the storage) cannot be checked from here: its holder refreshes the file's mtime
 * every HEARTBEAT_MS, and a lock of another host left unrefreshed for FOREIGN_STALE_MS is stale.
 */
export const HEARTBEAT_MS = 30_000;
export const FOREIGN_STALE_MS = 5 * 60_000;

export interface LockOwner {
  pid: number;
  host: string;
  startedAt: string;
  /** What holds it (`lra train`, `lra sweep`), for the message a second process gets. */
  purpose: string;
  /** Random: tells this holder's lock from another taken by the same process. */
  token?: string;
}

export interface HeldLock {
  path: string;
  owner: LockOwner;
  /** Removes the lock file when it is still this process's. */
  release(): Promise<void>;
}

/** Whether a process with this pid runs on this machine (EPERM: it runs under another user). */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The owner recorded in a lock file; null when there is none or it cannot be parsed. */
export async function readLockOwner(path: string): Promise<LockOwner | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return null;
  }
  try {
    const value = JSON.parse(text) as Partial<LockOwner>;
    if (typeof value.pid !== 'number' || typeof value.host !== 'string') return null;
    const owner: LockOwner = { pid: value.pid, host: value.host, startedAt: String(value.startedAt ?? '?'), purpose: String(value.purpose ?? '?') };
    if (typeof value.token === 'string') owner.token = value.token;
    return owner;
  } catch {
    return null;
  }
}

/**
 * The owner of the lock at `path` while it holds it, or null when there is none or the lock is
 * stale: its process gone (this host), or not refreshed for FOREIGN_STALE_MS (another host).
 */
export async function liveOwner(path: string): Promise<LockOwner | null> {
  const owner = await readLockOwner(path);
  if (owner === null) return null;
  if (owner.host !== hostname()) {
    let mtimeMs: number;
    try {
      mtimeMs = (await stat(path)).mtimeMs;
    } catch {
      return null;
    }
    return Date.now() - mtimeMs < FOREIGN_STALE_MS ? owner : null;
  }
  if (owner.pid === process.pid) return owner;
  return processAlive(owner.pid) ? owner : null;
}

export function describeOwner(owner: LockOwner): string {
  return `${owner.purpose}, pid ${owner.pid} on ${owner.host}, since ${owner.startedAt}`;
}

/**
 * Takes the lock at `path`, or returns the live owner that holds it. A stale lock (see liveOwner,
 * or a record that cannot be read) is removed and the lock taken.
 */
export async function tryLock(path: string, purpose: string): Promise<HeldLock | { heldBy: LockOwner }> {
  await mkdir(dirname(path), { recursive: true });
  const owner: LockOwner = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString(), purpose, token: randomBytes(8).toString('hex') };
  // Unique even for two locks taken by one process in one millisecond: a shared temporary file
  // would be one inode with the lock, its record rewritten by the loser.
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
  await writeFile(tmp, `${JSON.stringify(owner)}\n`, { flag: 'wx' });
  try {
    // Two tries: the second after removing a stale lock.
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await link(tmp, path);
        const heartbeat = setInterval(() => {
          const now = new Date();
          utimes(path, now, now).catch(() => undefined);
        }, HEARTBEAT_MS);
        heartbeat.unref();
        return {
          path,
          owner,
          release: async () => {
            clearInterval(heartbeat);
            const now = await readLockOwner(path);
            if (now !== null && now.token === owner.token && now.pid === owner.pid && now.host === owner.host) await rm(path, { force: true });
          },
        };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const live = await liveOwner(path);
      if (live !== null) return { heldBy: live };
      await rm(path, { force: true });
    }
    const holder = await readLockOwner(path);
    return { heldBy: holder ?? { pid: 0, host: '?', startedAt: '?', purpose: 'another process' } };
  } finally {
    await rm(tmp, { force: true });
  }
}
