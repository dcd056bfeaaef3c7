import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../src/util/paths.js';
import { arrayTaskCompletions } from './job-completions.js';
import { LocalSlurmCluster, waitFor } from './local-cluster.js';
import { locateSlurm } from './slurm-tools.js';

// `make test-slurm` runs this file (vitest.slurm.config.ts); `make test` leaves it out: it starts
// daemons as root and takes about half a minute.
const slurm = locateSlurm();
const isRoot = process.getuid?.() === 0;
const skipReason = 'missing' in slurm ? `no ${slurm.missing.join(', ')} on PATH: \`make slurm-deps\` installs them` : !isRoot ? 'slurmd runs jobs as root here: run as root' : null;
if (skipReason !== null) console.warn(`Slurm test skipped: ${skipReason}`);

const lra = (args: string[], cwd = repoRoot()) =>
  spawnSync(process.execPath, [join(repoRoot(), 'packages/trainer/bin/lra.js'), ...args], { cwd, encoding: 'utf8' });

// Two runs (two mixers) of tiny generated ListOps, a few steps each: seconds of training a run.
const mixers = ['attention', 'fnet'];
function writeSweep(dir: string): string {
  const path = join(dir, 'sweep.json');
  const generator = { counts: { train: 128, val: 32, test: 32 }, minLength: 8, maxLength: 24 };
  writeFileSync(path, JSON.stringify({
    tasks: ['listops'], mixers, seeds: [1], preset: 'tiny', steps: 8, backend: 'wasm',
    dataDir: join(dir, 'data'), config: { data: { generator } }, root: join(dir, 'results'),
  }, null, 2));
  return path;
}

describe.skipIf(skipReason !== null)(`a sweep emitted with --emit slurm, run by a one-node Slurm cluster${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let dir = '';
  let cluster: LocalSlurmCluster | null = null;

  beforeAll(async () => {
    // The array tasks run the built program; `make test-slurm` builds first, a bare vitest run builds here.
    if (!existsSync(join(repoRoot(), 'packages/trainer/dist/cli/main.js'))) spawnSync('npx', ['tsc', '-b'], { cwd: repoRoot(), stdio: 'inherit' });
    dir = mkdtempSync(join(tmpdir(), 'lra-slurm-'));
    if ('paths' in slurm) cluster = await LocalSlurmCluster.start(join(dir, 'cluster'), slurm.paths);
  }, 240_000);

  afterAll(async () => {
    await cluster?.stop();
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('runs one array task per run, each writing its report to the shared root, and lra report lists both', async () => {
    const c = cluster!;
    const sweep = writeSweep(dir);
    const script = join(dir, 'sweep.sbatch');
    // One CPU and 1 GiB a task, so both tasks fit the two-CPU node at once.
    const emitted = lra(['sweep', sweep, '--emit', 'slurm', '--cpus', '1', '--memory-gb', '1', '--time', '00:10:00', '--out', script]);
    expect(emitted.status, emitted.stderr).toBe(0);

    // Submitted from the temporary folder, as a user would from a login node: the script itself
    // must find the repository, and the task logs land in the submit folder.
    const submitted = c.run('sbatch', ['--parsable', script], dir);
    expect(submitted.status, submitted.stderr).toBe(0);
    const jobId = Number(submitted.stdout.trim().split(';')[0]);
    expect(Number.isInteger(jobId)).toBe(true);

    await waitFor('the job array', 300_000, () => c.run('squeue', ['-h', '-j', String(jobId)]).stdout.trim() === '', () => c.run('squeue', []).stdout);
    const completions = arrayTaskCompletions(c.paths.jobCompletions, jobId);
    const logOf = (task: number) => join(dir, `lra-sweep-${jobId}_${task}.out`);
    for (const task of [0, 1]) {
      const log = existsSync(logOf(task)) ? readFileSync(logOf(task), 'utf8') : '(no log)';
      expect(completions.get(task), `array task ${task}:\n${log}`).toMatchObject({ state: 'COMPLETED', exitCode: '0:0' });
      expect(log).toContain(`"msg":"finished listops/${mixers[task]}/base/s1 (1/1)"`);
    }
    expect([...completions.keys()].sort()).toEqual([0, 1]);

    for (const mixer of mixers) {
      const report = JSON.parse(readFileSync(join(dir, 'results/listops', mixer, 'base/s1/report.json'), 'utf8'));
      expect(report).toMatchObject({ task: 'listops', mixer, seed: 1, steps: 8 });
    }
    const reported = lra(['report', join(dir, 'results'), '--json']);
    expect(reported.status, reported.stderr).toBe(0);
    const leaderboard = JSON.parse(reported.stdout) as { runs: { finished: number }; entries: { task: string; mixer: string; preset: string }[] };
    expect(leaderboard.runs.finished).toBe(2);
    expect(leaderboard.entries.map((e) => `${e.task}/${e.mixer}/${e.preset}`).sort()).toEqual(['listops/attention/tiny', 'listops/fnet/tiny']);
  }, 360_000);
});
