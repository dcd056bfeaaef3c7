import { fileURLToPath } from 'node:url';
import type { SweepRun } from './expand.js';

/**
 * The `lra` program of this package. Both src/sweep/ and dist/sweep/ sit two folders below the
 * package root, so the same relative path finds bin/lra.js from the sources and from the build.
 */
export function lraBin(): string {
  return fileURLToPath(new URL('../../bin/lra.js', import.meta.url));
}

/**
 * The `lra train` arguments of a run, built from the same request the sweep validated, so the
 * child resolves exactly the config that was checked before any work started.
 */
export function trainArgs(run: SweepRun, resume: boolean): string[] {
  const r = run.request;
  const args = ['train', '--task', r.task, '--mixer', r.mixer];
  if (r.preset !== undefined) args.push('--preset', r.preset);
  if (r.configFile !== undefined) args.push('--config', r.configFile);
  if (r.seed !== undefined) args.push('--seed', String(r.seed));
  if (r.steps !== undefined) args.push('--steps', String(r.steps));
  if (r.backend !== undefined) args.push('--backend', r.backend);
  if (r.dataDir !== undefined) args.push('--data-dir', r.dataDir);
  args.push('--out', run.out);
  // One assignment per --set: a value with spaces stays one argument (no shell in between).
  for (const s of r.sets ?? []) args.push('--set', s);
  // The sweep draws its own progress view; the child logs step lines to its train.log instead.
  args.push('--progress', 'false');
  if (resume) args.push('--resume');
  return args;
}
