// The start of `lra train` up to its first step: everything that can fail (config, backend,
// data) is checked before the run directory is touched; then the directory is locked to this
// process and only then cleared (a fresh start) or read (a resume).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureTaskData, type TaskData } from '@lra/data';
import { type BackendChoice, selectBackend } from '@lra/models';
import type { ExperimentConfig } from '../config/types.js';
import type { RunReport } from '../report/report.js';
import { writeRunSummary } from '../report/run-summary.js';
import type { HeldLock } from '../util/file-lock.js';
import { GenerationProgress } from '../util/generation-progress.js';
import type { Logger } from '../util/logger.js';
import { type Checkpoint, removeStaleCheckpointTemps } from './checkpoint.js';
import type { CheckpointMeta } from './checkpoint-meta.js';
import { RunFiles } from './run-files.js';
import { planRunStart, type RunStartFlags } from './run-guard.js';
import { lockRunDir } from './run-lock.js';
import { loadResumePoint } from './resume-point.js';
import { emptyTiming, type RunTiming, timingOf } from './run-timing.js';
import { truncationWarning } from './truncation.js';

export interface RunStartOptions extends RunStartFlags {
  config: ExperimentConfig;
  /** The length the run trains at (data.seqLen or the task's). */
  seqLen: number;
  /** Hash every cache file, whatever its stamp says. */
  verify?: boolean | undefined;
  /** Show progress bars (a data generation's); default: when stderr is a terminal. */
  progress?: boolean | undefined;
  /** Threads of the wasm backend (default 1). */
  threads?: number | undefined;
  log: Logger;
}

export interface StartedRun {
  files: RunFiles;
  backend: BackendChoice;
  data: TaskData;
  /** Held until the run ends; the caller releases it. */
  lock: HeldLock;
  resumeFrom: Checkpoint<CheckpointMeta> | null;
  /** Speed, memory and wall time measured by earlier processes of the run. */
  timing: RunTiming;
}

/** `--resume` of a finished run: its report, unchanged (report.md drawn again when missing). */
export interface FinishedRun {
  finished: RunReport;
}

export async function startRun(opts: RunStartOptions): Promise<StartedRun | FinishedRun> {
  const { config, log } = opts;
  const files = new RunFiles(config.out);
  // Read-only: refuses, before the slow steps, a request that would lose a run or cannot be met.
  const first = planRunStart(files, config, opts);
  if (first.kind === 'finished') return finishedRun(files, log);

  const backend = await selectBackend(config.backend, {
    log: (msg, fields) => log.info(fields ?? {}, msg),
    ...(opts.threads !== undefined ? { threads: opts.threads } : {}),
  });
  // A generation (Pathfinder's default set is 200,000 images) is announced, estimated and shown.
  const generation = new GenerationProgress(config.task, log, opts.progress ?? Boolean(process.stderr.isTTY));
  const data = await ensureTaskData({
    task: config.task,
    dataDir: config.data.dataDir,
    ...(config.data.source ? { source: config.data.source } : {}),
    ...(config.data.generator ? { generate: config.data.generator } : {}),
    skipBad: config.data.skipBad,
    ...(opts.verify ? { verify: true } : {}),
    log: (msg: string, fields?: object) => log.info(fields ?? {}, msg),
    onProgress: generation.onProgress,
  }).finally(() => generation.stop());
  const cut = truncationWarning(data.splits, opts.seqLen);
  if (cut !== null) log.warn({ seqLen: opts.seqLen }, cut);

  const lock = await lockRunDir(config.out);
  try {
    // Decided again under the lock: another process may have finished or started the run meanwhile.
    const plan = planRunStart(files, config, opts);
    if (plan.kind === 'finished') {
      await lock.release();
      return finishedRun(files, log);
    }
    const removed = await removeStaleCheckpointTemps(files.checkpoints);
    if (removed.length > 0) log.info({ removed }, `removed ${removed.length} temporary checkpoint file(s) of an interrupted write`);
    let resumeFrom: Checkpoint<CheckpointMeta> | null = null;
    if (plan.kind === 'resume') {
      resumeFrom = await loadResumePoint(files, config.train.steps);
    } else {
      if (plan.replacing !== null) log.warn({ out: config.out }, `--overwrite: deleting ${plan.replacing} in ${config.out}`);
      await files.prepareFresh();
    }
    return { files, backend, data, lock, resumeFrom, timing: resumeFrom ? timingOf(resumeFrom.meta) : emptyTiming() };
  } catch (err) {
    await lock.release();
    throw err;
  }
}

async function finishedRun(files: RunFiles, log: Logger): Promise<FinishedRun> {
  const lock = await lockRunDir(files.dir);
  try {
    const report = JSON.parse(readFileSync(files.report, 'utf8')) as RunReport;
    log.info({ out: files.dir }, `${files.dir} is a finished run (report.json): nothing to resume, nothing changed`);
    if (!existsSync(join(files.dir, 'report.md')))
      await writeRunSummary(files.dir).catch((err: Error) => log.warn({ err: err.message }, 'report.md and plots not written'));
    return { finished: report };
  } finally {
    await lock.release();
  }
}
