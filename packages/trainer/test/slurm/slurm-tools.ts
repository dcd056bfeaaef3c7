import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Daemons live in sbin, which a non-login shell's PATH may lack. */
export const defaultSearchPath = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin', '/usr/local/sbin'].filter((d) => d !== '');

export function findExecutable(name: string, searchPath: readonly string[] = defaultSearchPath): string | null {
  for (const dir of searchPath) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // not in this folder
    }
  }
  return null;
}

/** What the one-node cluster needs: Debian's slurmctld, slurmd, slurm-client and munge (`make slurm-deps`). */
export const slurmPrograms = ['munged', 'slurmctld', 'slurmd', 'sbatch', 'squeue', 'sinfo', 'scancel'] as const;
export type SlurmProgram = (typeof slurmPrograms)[number];

/** Each program's path, or the names of those missing. */
export function locateSlurm(searchPath: readonly string[] = defaultSearchPath): { paths: Record<SlurmProgram, string> } | { missing: string[] } {
  const found = slurmPrograms.map((name) => [name, findExecutable(name, searchPath)] as const);
  const missing = found.filter(([, path]) => path === null).map(([name]) => name);
  if (missing.length > 0) return { missing };
  return { paths: Object.fromEntries(found) as Record<SlurmProgram, string> };
}
