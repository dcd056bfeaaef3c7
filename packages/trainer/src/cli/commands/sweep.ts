import { resolve } from 'node:path';
import type { Argv } from 'yargs';
import { type AnalyzeLauncher, analyzeCommandAvailable, analyzeRuns, needsAnalysis } from '../../sweep/analyze.js';
import { type ExpandOptions, expandSweep, runAt } from '../../sweep/expand.js';
import { type EmitOptions, emitDefaults, emitSweep } from '../../sweep/emit.js';
import type { RunLauncher } from '../../sweep/launcher.js';
import { buildManifest, writeManifest } from '../../sweep/manifest.js';
import { type PlannedRun, planRuns } from '../../sweep/plan.js';
import { runPool } from '../../sweep/pool.js';
import { BarSweepView, LogSweepView, type SweepView, failureLine } from '../../sweep/progress-view.js';
import { readSweepFile } from '../../sweep/spec.js';
import { writeFileAtomic } from '../../util/atomic.js';
import { createLogger } from '../../util/logger.js';

/** What the command talks to, replaceable so tests can run it without training or a terminal. */
export interface SweepCommandDeps {
  launcher?: RunLauncher;
  /** Replaces `lra analyze` for --analyze; given, the command counts as available. */
  analyzeLauncher?: AnalyzeLauncher;
  view?: SweepView;
  write?: (text: string) => void;
}

export function sweepCommand(y: Argv, deps: SweepCommandDeps = {}): Argv {
  const write = deps.write ?? ((text: string) => void process.stdout.write(text));
  return y.command(
    'sweep <file>',
    'run a sweep file (tasks x mixers x override sets, or a grid of variants, x seeds) on local workers, resumably, or emit it as a Kubernetes Indexed Job or a Slurm job array',
    (a) =>
      a
        .positional('file', { type: 'string', demandOption: true, describe: 'sweep file (JSON; see experiments/README.md)' })
        .option('workers', { type: 'number', describe: 'runs at a time: local processes (default 1), or pods / array tasks with --emit (default all)' })
        .option('root', { type: 'string', describe: 'results folder instead of the file\'s root' })
        .option('data-dir', { type: 'string', describe: 'data folder for every run instead of the file\'s dataDir' })
        .option('index', { type: 'number', describe: 'run only run I (0-based, in --list order): what each cluster task runs' })
        .option('list', { type: 'boolean', default: false, describe: 'print the runs (index, id, action, folder) and run nothing' })
        .option('json', { type: 'boolean', default: false, describe: 'with --list: JSON; with --emit k8s: a JSON v1 List instead of YAML' })
        .option('progress', { type: 'boolean', describe: 'progress bars (default: when stderr is a terminal)' })
        .option('analyze', { type: 'boolean', default: false, describe: 'then run `lra analyze --run DIR` on every finished run not yet analysed (when this build has the command)' })
        .option('emit', { type: 'string', choices: ['k8s', 'slurm'], describe: 'write a job for a cluster engine instead of running' })
        .option('out', { type: 'string', describe: 'with --emit: write to FILE instead of stdout' })
        .option('name', { type: 'string', describe: 'with --emit: job name (default lra-<file name>)' })
        .option('image', { type: 'string', describe: `with --emit k8s: container image holding the built repository (default ${emitDefaults.image})` })
        .option('pvc', { type: 'string', describe: `with --emit k8s: PersistentVolumeClaim of the results (default ${emitDefaults.pvc})` })
        .option('mount', { type: 'string', describe: `with --emit k8s: where the claim is mounted (default ${emitDefaults.mount}; results in <mount>/<name>)` })
        .option('data-pvc', { type: 'string', describe: 'with --emit k8s: PersistentVolumeClaim holding the data, mounted at <repo>/datasets (default: the data goes on the results claim, <mount>/datasets)' })
        .option('gpus', { type: 'number', describe: 'with --emit k8s: GPUs per pod (nvidia.com/gpu), for the lra-ts:gpu image (default 0)' })
        .option('repo', { type: 'string', describe: `with --emit: the repository in the image (k8s, default ${emitDefaults.k8sRepo}) or on the cluster (slurm, default this one)` })
        .option('cpus', { type: 'number', describe: `with --emit: CPUs per run (default ${emitDefaults.cpus})` })
        .option('memory-gb', { type: 'number', describe: `with --emit: memory per run in GiB (default ${emitDefaults.memoryGiB})` })
        .option('time', { type: 'string', describe: `with --emit slurm: time limit per run (default ${emitDefaults.time})` })
        .check((args) => {
          if (args.gpus !== undefined && (!Number.isInteger(args.gpus) || args.gpus < 0)) throw new Error(`--gpus must be an integer >= 0, got ${args.gpus}`);
          if (args.workers !== undefined && (!Number.isInteger(args.workers) || args.workers < 1)) throw new Error(`--workers must be an integer >= 1, got ${args.workers}`);
          if (args.index !== undefined && (!Number.isInteger(args.index) || args.index < 0)) throw new Error(`--index must be an integer >= 0, got ${args.index}`);
          if (args.emit !== undefined && (args.index !== undefined || args.list)) throw new Error('--emit writes a job for every run; it does not combine with --index or --list');
          if (args.analyze && (args.emit !== undefined || args.list)) throw new Error('--analyze runs after local runs; it does not combine with --emit or --list');
          return true;
        })
        .example('$0 sweep experiments/sweeps/listops-tiny.json --workers 2', 'run locally; run again to resume')
        .example('$0 sweep experiments/ablations/listops-tiny.json --workers 2 --analyze', 'a spectral-filter ablation grid, each run analysed after training')
        .example('$0 sweep experiments/sweeps/listops-tiny.json --emit k8s --out job.yaml', 'a Kubernetes Indexed Job')
        .example('$0 sweep experiments/sweeps/listops-tiny.json --emit slurm --out sweep.sbatch', 'a Slurm job array'),
    async (args) => {
      const file = readSweepFile(String(args.file));
      if (args.emit !== undefined) {
        const opts: EmitOptions = {
          ...(args.workers !== undefined ? { workers: args.workers } : {}),
          ...(args.name !== undefined ? { name: args.name } : {}),
          ...(args.root !== undefined ? { root: args.root } : {}),
          ...(args['data-dir'] !== undefined ? { dataDir: args['data-dir'] } : {}),
          ...(args.repo !== undefined ? { repo: args.repo } : {}),
          ...(args.image !== undefined ? { image: args.image } : {}),
          ...(args.pvc !== undefined ? { pvc: args.pvc } : {}),
          ...(args['data-pvc'] !== undefined ? { dataPvc: args['data-pvc'] } : {}),
          ...(args.gpus !== undefined ? { gpus: args.gpus } : {}),
          ...(args.mount !== undefined ? { mount: args.mount } : {}),
          ...(args.cpus !== undefined ? { cpus: args.cpus } : {}),
          ...(args['memory-gb'] !== undefined ? { memoryGiB: args['memory-gb'] } : {}),
          ...(args.time !== undefined ? { time: args.time } : {}),
          json: args.json,
        };
        const text = emitSweep(file, args.emit as 'k8s' | 'slurm', opts);
        if (args.out !== undefined) {
          await writeFileAtomic(args.out, text);
          process.stderr.write(`wrote ${args.out}\n`);
        } else write(text);
        return;
      }

      // Absolute, so a sweep resumed from another folder names the same run folders.
      const expand: ExpandOptions = {
        root: resolve(args.root ?? file.spec.root),
        ...(args['data-dir'] !== undefined ? { dataDir: args['data-dir'] } : {}),
      };
      const runs = args.index !== undefined ? [runAt(file.spec, args.index, expand)] : expandSweep(file.spec, expand);
      const planned = planRuns(runs);
      if (args.list) {
        write(args.json ? `${JSON.stringify(planned.map(listEntry), null, 2)}\n` : listTable(planned));
        return;
      }
      // Names each folder's variant for `lra report --ablation`; every cluster task writes the same file.
      await writeManifest(expand.root!, buildManifest(file, args.index !== undefined ? expandSweep(file.spec, expand) : runs, expand.root!));

      const log = createLogger();
      const view = deps.view ?? ((args.progress ?? Boolean(process.stderr.isTTY)) ? new BarSweepView() : new LogSweepView(log));
      const stop = new AbortController();
      let interrupts = 0;
      const onSignal = (sig: NodeJS.Signals): void => {
        interrupts += 1;
        // The first stops the children (each keeps its last checkpoint); a second does not wait.
        if (interrupts > 1) process.exit(130);
        process.stderr.write(`\n${sig}: stopping the running runs (a later \`lra sweep\` resumes them)\n`);
        stop.abort();
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      try {
        const result = await runPool(planned, { workers: args.workers ?? 1, view, signal: stop.signal, ...(deps.launcher ? { launcher: deps.launcher } : {}) });
        if (result.stopped) {
          process.exitCode = 130;
          return;
        }
        if (args.analyze) await analyzeFinished(planned, args.workers ?? 1, stop.signal, deps.analyzeLauncher);
        if (stop.signal.aborted) {
          process.exitCode = 130;
          return;
        }
        if (result.failed.length > 0)
          throw new Error(`${result.failed.length} of ${planned.length} runs failed (the others finished; run the sweep again to retry the failed ones):\n  ${result.failed.map(failureLine).join('\n  ')}`);
        // A cluster task must not end as done with its run left to another: its engine retries it.
        if (args.index !== undefined && result.taken.length > 0)
          throw new Error(`run ${args.index}: ${result.taken[0]!.lastLine ?? 'running in another sweep'}; not run here (run this task again once that one has ended)`);
        if (result.taken.length > 0)
          process.stderr.write(`${result.taken.length} run(s) were running in another sweep of the same runs and were left to it: ${result.taken.map((o) => o.run.id).join(', ')}\n`);
        if (args.index === undefined)
          process.stderr.write(`sweep finished: ${planned.length} runs in ${expand.root}; ${file.spec.grid ? 'ablation table' : 'leaderboard'}: lra report ${expand.root}${file.spec.grid ? ' --ablation' : ''}\n`);
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    },
  );
}

/**
 * Analyses the finished runs whose analysis is missing or stale. A failed analysis is reported
 * and the others go on; it does not fail the sweep, whose runs did finish (reports note the gap).
 */
async function analyzeFinished(planned: readonly PlannedRun[], workers: number, signal: AbortSignal, launcher: AnalyzeLauncher | undefined): Promise<void> {
  const dirs = planned.map((p) => p.run.out).filter(needsAnalysis);
  if (dirs.length === 0) return;
  if (!launcher && !analyzeCommandAvailable()) {
    process.stderr.write(`--analyze: this build of lra has no analyze command; ${dirs.length} run(s) left without analysis\n`);
    return;
  }
  process.stderr.write(`analysing ${dirs.length} run(s), ${workers} at a time\n`);
  let done = 0;
  const results = await analyzeRuns(dirs, {
    workers,
    signal,
    ...(launcher ? { launcher } : {}),
    onDone: (r) => {
      done += 1;
      process.stderr.write(`  [${done}/${dirs.length}] ${r.exitCode === 0 ? 'analysed' : `analysis failed (exit ${r.exitCode ?? 'signal'}): ${r.lastLine ?? ''}`} ${r.dir}\n`);
    },
  });
  const failed = results.filter((r) => r.exitCode !== 0);
  if (failed.length > 0) process.stderr.write(`${failed.length} of ${dirs.length} analyses failed (logs: <run>/analyze.log); reports show those runs without analysis plots\n`);
}

function listEntry(p: PlannedRun) {
  const { index, id, task, mixer, override, axes, anchor, seed, out } = p.run;
  return { index, id, task, mixer, override, ...(axes ? { axes } : {}), ...(anchor ? { anchor } : {}), seed, out, action: p.action };
}

function listTable(planned: readonly PlannedRun[]): string {
  const rows = [['index', 'id', 'action', 'folder'], ...planned.map((p) => [String(p.run.index), p.run.id, p.action, p.run.out])];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ')).join('\n') + '\n';
}
