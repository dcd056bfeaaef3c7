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

/** The oldest Node.js the program runs on: the root package.json's engines (a test keeps the two equal). */
export const MINIMUM_NODE = { major: 20, minor: 19 } as const;

/** A `node -e` program that exits 0 on MINIMUM_NODE or newer: checked before the run, so an old module's node fails with a sentence. */
const nodeVersionCheck = `const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > ${MINIMUM_NODE.major} || (a === ${MINIMUM_NODE.major} && b >= ${MINIMUM_NODE.minor}) ? 0 : 1)`;

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
    `# the results root on it too; Node.js >= ${MINIMUM_NODE.major}.${MINIMUM_NODE.minor} on the PATH of the nodes (module load it above if needed).`,
    'set -euo pipefail',
    // Run by hand (bash FILE) the index is unset: say how it is meant to run rather than "unbound variable".
    `: "\${${SLURM_INDEX_VARIABLE}:?not set: submit this file with sbatch, which runs it as a job array}"`,
    `cd ${shellQuote(o.repoDir)}`,
    `node -e '${nodeVersionCheck}' >/dev/null 2>&1 || { echo "lra: needs Node.js >= ${MINIMUM_NODE.major}.${MINIMUM_NODE.minor} on PATH (found: $(node --version 2>&1))" >&2; exit 1; }`,
    `exec ${args.join(' ')}`,
    '',
  ].join('\n');
}
