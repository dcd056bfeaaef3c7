export interface SlurmOptions {
  name: string;
  runs: number;
  /** Array tasks at a time (the `%` of --array). */
  parallelism: number;
  /** The repository on the cluster's shared file system, built. */
  repoDir: string;
  /** The sweep file, as the job sees it (relative to repoDir or absolute). */
  sweepFile: string;
  /** The shared results root (relative to repoDir or absolute): `lra report` reads it. */
  root: string;
  dataDir: string | null;
  cpus: number;
  memoryGiB: number;
  /** Wall-clock limit of one array task, as sbatch takes it (e.g. 24:00:00). */
  time: string;
}

export const SLURM_INDEX_VARIABLE = 'SLURM_ARRAY_TASK_ID';

function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./=:,@+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** sbatch directives take no shell quoting: refuse what would split or end a directive. */
function directive(value: string, what: string): string {
  if (!/^[A-Za-z0-9_.:%+-]+$/.test(value)) throw new Error(`${what} ${JSON.stringify(value)}: use letters, digits and . _ - : + only`);
  return value;
}

/**
 * An sbatch script for a job array of one task per run: task i runs `lra sweep FILE --index i`,
 * the same expansion as the local pool, writing to the shared root.
 */
export function slurmScript(o: SlurmOptions): string {
  const args = ['node', 'packages/trainer/bin/lra.js', 'sweep', shellQuote(o.sweepFile), '--index', `"\${${SLURM_INDEX_VARIABLE}}"`, '--root', shellQuote(o.root)];
  if (o.dataDir !== null) args.push('--data-dir', shellQuote(o.dataDir));
  return [
    '#!/bin/bash',
    `#SBATCH --job-name=${directive(o.name, '--name')}`,
    `#SBATCH --array=0-${o.runs - 1}%${Math.min(o.parallelism, o.runs)}`,
    '#SBATCH --ntasks=1',
    `#SBATCH --cpus-per-task=${o.cpus}`,
    `#SBATCH --mem=${o.memoryGiB}G`,
    `#SBATCH --time=${directive(o.time, '--time')}`,
    `#SBATCH --output=${directive(o.name, '--name')}-%A_%a.out`,
    `# ${o.runs} runs; array task i runs run i of the sweep (\`lra sweep FILE --list\` shows the order).`,
    '# A task that is requeued or resubmitted skips its finished run and resumes a started one.',
    '# Assumes: this checkout, built (npm ci), on a file system every node shares, with the data and',
    '# the results root on it too; Node.js >= 20 on the PATH of the nodes (module load it above if needed).',
    'set -euo pipefail',
    `cd ${shellQuote(o.repoDir)}`,
    `node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' >/dev/null 2>&1 || { echo "lra: needs Node.js >= 20 on PATH (found: $(node --version 2>&1))" >&2; exit 1; }`,
    `exec ${args.join(' ')}`,
    '',
  ].join('\n');
}
