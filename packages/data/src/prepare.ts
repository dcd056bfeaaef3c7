import { createHash } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { readSplitArrow, writeSplitArrow } from './cache/arrow.js';
import {
  CACHE_FORMAT_VERSION,
  canonicalJson,
  manifestPath,
  readManifest,
  writeManifest,
  type ManifestSource,
  type ManifestSplit,
  type TaskManifest,
} from './cache/manifest.js';
import {
  SOURCE_CHECKSUMS_FILE,
  checksumNames,
  checksumSourceFiles,
  summariseSources,
  writeSourceChecksums,
  type SourceFileChecksum,
} from './cache/sources.js';
import { CacheError, DataSourceError } from './errors.js';
import { labelCounts } from './inspect.js';
import { removeStaleTempFiles } from './io/atomic.js';
import { getTask } from './tasks/registry.js';
import type { GeneratorInput, SplitData, SplitName, TaskSpec } from './types.js';

export type PrepareLog = (msg: string, fields?: Record<string, unknown>) => void;

export interface PrepareProgress {
  stage: 'generate' | 'read' | 'write';
  split?: SplitName;
  /** Examples for `generate`, bytes of source for `read`, files for `write`. */
  done: number;
  total?: number;
}

export interface PrepareOptions {
  task: string;
  /** Holds raw/<task>/<variant>/ (generated source files) and cache/<task>/<variant>/. */
  dataDir: string;
  /** The release root (lra_release/) or the task's own folder in it. */
  source?: string | undefined;
  /** Generate the source files first: true for the generator's defaults, or (partial) options. */
  generate?: boolean | GeneratorInput<object> | undefined;
  skipBad?: boolean | undefined;
  /** Truncation length; the task's LRA length when absent. */
  seqLen?: number | undefined;
  /** Cache folder name; by default 'official' or 'generated-<hash of the options>' (+ '-len<N>'). */
  variant?: string | undefined;
  log?: PrepareLog | undefined;
  onProgress?: ((progress: PrepareProgress) => void) | undefined;
}

export interface PreparedTask {
  task: string;
  variant: string;
  dir: string;
  manifest: TaskManifest;
}

export interface TaskData {
  prepared: PreparedTask;
  splits: Record<SplitName, SplitData>;
}

/** Where one prepared variant comes from and where it goes. */
interface Plan {
  task: TaskSpec;
  dataDir: string;
  seqLen: number;
  skipBad: boolean;
  variant: string;
  dir: string;
  source: ManifestSource;
}

function resolveSeqLen(task: TaskSpec, seqLen: number | undefined): number {
  const n = seqLen ?? task.seqLen;
  if (!Number.isInteger(n) || n < 1) throw new Error(`seqLen must be a positive integer, got ${JSON.stringify(seqLen)}`);
  return n;
}

function lengthSuffix(task: TaskSpec, seqLen: number): string {
  return seqLen === task.seqLen ? '' : `-len${seqLen}`;
}

function shortHash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex').slice(0, 8);
}

function planOfficial(task: TaskSpec, opts: PrepareOptions, source: string): Plan {
  const dataDir = resolve(opts.dataDir);
  const seqLen = resolveSeqLen(task, opts.seqLen);
  const variant = opts.variant ?? `official${lengthSuffix(task, seqLen)}`;
  return {
    task,
    dataDir,
    seqLen,
    skipBad: opts.skipBad ?? false,
    variant,
    dir: join(dataDir, 'cache', task.name, variant),
    source: { kind: 'official', path: resolve(source) },
  };
}

function planGenerated(task: TaskSpec, opts: PrepareOptions, input: GeneratorInput<object>): Plan {
  if (task.generator === undefined) {
    throw new DataSourceError(`task "${task.name}" has no generator; prepare it from ${task.sourceHint}`);
  }
  const generator = task.generator.resolveOptions(input);
  const dataDir = resolve(opts.dataDir);
  const seqLen = resolveSeqLen(task, opts.seqLen);
  const variant = opts.variant ?? `generated-${shortHash(generator)}${lengthSuffix(task, seqLen)}`;
  return {
    task,
    dataDir,
    seqLen,
    skipBad: opts.skipBad ?? false,
    variant,
    dir: join(dataDir, 'cache', task.name, variant),
    source: { kind: 'generated', generator, rawDir: join(dataDir, 'raw', task.name, variant) },
  };
}

function planFor(task: TaskSpec, opts: PrepareOptions): Plan {
  const generate = opts.generate ?? false;
  if (opts.source !== undefined && generate !== false) {
    throw new Error(`prepare ${task.name}: give either a source folder or generate, not both`);
  }
  if (opts.source !== undefined) return planOfficial(task, opts, opts.source);
  if (generate !== false) return planGenerated(task, opts, generate === true ? {} : generate);
  throw new DataSourceError(
    `prepare ${task.name}: no source folder given; pass the folder holding ${task.sourceHint}` +
      (task.generator === undefined ? '' : ', or generate the data'),
  );
}

async function prepareFromPlan(plan: Plan, opts: PrepareOptions): Promise<TaskData> {
  const { task, dir, seqLen, skipBad } = plan;
  const log = opts.log ?? (() => undefined);
  let sourceDir: string;
  if (plan.source.kind === 'generated') {
    sourceDir = plan.source.rawDir;
    log(`generating ${task.name} into ${sourceDir}`, { options: plan.source.generator });
    await removeStaleTempFiles(sourceDir);
    await task.generator!.generate(sourceDir, plan.source.generator, {
      onProgress: (done, total) => opts.onProgress?.({ stage: 'generate', done, total }),
    });
  } else {
    sourceDir = plan.source.path;
  }

  // Read and verify every split before touching the cache, so bad source data leaves a good
  // cache as it was.
  const splits = {} as Record<SplitName, SplitData>;
  for (const split of task.splits) {
    log(`reading ${task.name} ${split} from ${sourceDir}`);
    splits[split] = await task.read(sourceDir, split, {
      skipBad,
      seqLen,
      onProgress: (done, total) => opts.onProgress?.({ stage: 'read', split, done, ...(total === undefined ? {} : { total }) }),
    });
    const { count, skipped } = splits[split];
    log(`read ${task.name} ${split}: ${count} rows${skipped > 0 ? `, ${skipped} bad rows skipped` : ''}`, { split, count, skipped });
  }

  // Checksums of what was read, so a manifest says exactly which release files a cache holds.
  // Each file is hashed once, though splits may share files (IMDB's val and test).
  const allSources = task.splits.flatMap((split) => splits[split].sources ?? []);
  const byPath = new Map((await checksumSourceFiles(sourceDir, allSources)).map((f) => [f.path, f]));
  const sourceSums = new Map<SplitName, SourceFileChecksum[]>();
  for (const split of task.splits) {
    const files = splits[split].sources;
    if (files === undefined) continue;
    const names = checksumNames(sourceDir, files);
    sourceSums.set(split, names.map((name) => byPath.get(name)!).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)));
  }

  await mkdir(dir, { recursive: true });
  await removeStaleTempFiles(dir);
  // Without a manifest the folder is never taken for a valid cache, whatever happens next.
  await rm(manifestPath(dir), { force: true });
  const entries: Partial<Record<SplitName, ManifestSplit>> = {};
  let written = 0;
  for (const split of task.splits) {
    const data = splits[split];
    const file = `${split}.arrow`;
    const { bytes, sha256 } = await writeSplitArrow(join(dir, file), data, { vocabVersion: task.vocabVersion });
    const sums = sourceSums.get(split);
    entries[split] = {
      file,
      rows: data.count,
      skipped: data.skipped,
      ...(data.dropped ? { dropped: data.dropped } : {}),
      tokens: data.tokens.length,
      bytes,
      sha256,
      labelCounts: labelCounts(data.labels, task.numClasses),
      ...(sums === undefined ? {} : { sources: summariseSources(sums) }),
    };
    opts.onProgress?.({ stage: 'write', split, done: ++written, total: task.splits.length });
  }
  let sourceChecksums: TaskManifest['sourceChecksums'];
  if (sourceSums.size > 0) {
    const all = [...byPath.values()];
    const { sha256 } = await writeSourceChecksums(dir, all);
    sourceChecksums = { file: SOURCE_CHECKSUMS_FILE, files: all.length, sha256 };
  } else {
    await rm(join(dir, SOURCE_CHECKSUMS_FILE), { force: true });
  }
  const manifest: TaskManifest = {
    formatVersion: CACHE_FORMAT_VERSION,
    task: task.name,
    variant: plan.variant,
    vocabVersion: task.vocabVersion,
    seqLen,
    vocabSize: task.vocabSize,
    numClasses: task.numClasses,
    skipBad,
    source: plan.source,
    ...(sourceChecksums === undefined ? {} : { sourceChecksums }),
    splits: entries,
  };
  await writeManifest(dir, manifest);
  log(`wrote ${dir}`, { variant: plan.variant });
  return { prepared: { task: task.name, variant: plan.variant, dir, manifest }, splits };
}

/**
 * Reads a task's official files (or generates official-format files and reads them back through
 * the same reader), verifies every row, and writes `<dataDir>/cache/<task>/<variant>/` with one
 * Arrow file per split and a manifest of their row counts and checksums.
 */
export async function prepareTask(opts: PrepareOptions): Promise<PreparedTask> {
  const task = getTask(opts.task);
  return (await prepareFromPlan(planFor(task, opts), opts)).prepared;
}

/** What identifies a source for cache matching: not where generated files were put. */
function sourceIdentity(source: ManifestSource): object {
  return source.kind === 'generated' ? { kind: source.kind, generator: source.generator } : source;
}

/** Why the manifest does not describe what the plan asks for, or null when it does. */
function manifestMismatch(m: TaskManifest, plan: Plan, anyOfficialSource: boolean): string | null {
  if (m.formatVersion !== CACHE_FORMAT_VERSION) return `format version ${m.formatVersion}, expected ${CACHE_FORMAT_VERSION}`;
  if (m.task !== plan.task.name) return `task ${m.task}`;
  if (m.vocabVersion !== plan.task.vocabVersion) return `vocabulary ${m.vocabVersion}, expected ${plan.task.vocabVersion}`;
  if (m.seqLen !== plan.seqLen) return `seqLen ${m.seqLen}, expected ${plan.seqLen}`;
  for (const split of plan.task.splits) if (m.splits[split] === undefined) return `no ${split} split`;
  if (anyOfficialSource) return m.source.kind === 'official' ? null : `made from ${m.source.kind} data`;
  if (m.skipBad !== plan.skipBad) return `skipBad ${m.skipBad}, expected ${plan.skipBad}`;
  const had = canonicalJson(sourceIdentity(m.source));
  return had === canonicalJson(sourceIdentity(plan.source)) ? null : `made from another source: ${had}`;
}

/** Loads every split of a cache, checking each file against the manifest's checksum and counts. */
async function loadCache(dir: string, manifest: TaskManifest, task: TaskSpec): Promise<Record<SplitName, SplitData>> {
  const splits = {} as Record<SplitName, SplitData>;
  for (const split of task.splits) {
    const entry = manifest.splits[split]!;
    const path = join(dir, entry.file);
    const data = await readSplitArrow(path, entry.sha256);
    if (data.count !== entry.rows || data.tokens.length !== entry.tokens || data.split !== split) {
      throw new CacheError(
        path,
        `holds ${data.split} with ${data.count} rows and ${data.tokens.length} tokens, the manifest says ${split} with ${entry.rows} and ${entry.tokens}`,
      );
    }
    splits[split] = data;
  }
  return splits;
}

/**
 * The cached splits when a manifest matches the plan and every checksum verifies; otherwise
 * why not (null when there is no manifest at all).
 */
async function tryCache(plan: Plan, anyOfficialSource: boolean): Promise<TaskData | string | null> {
  let manifest: TaskManifest | null;
  try {
    manifest = await readManifest(plan.dir);
  } catch (err) {
    if (!(err instanceof CacheError)) throw err;
    return err.message;
  }
  if (manifest === null) return null;
  const mismatch = manifestMismatch(manifest, plan, anyOfficialSource);
  if (mismatch !== null) return `it does not match (${mismatch})`;
  try {
    const splits = await loadCache(plan.dir, manifest, plan.task);
    return { prepared: { task: plan.task.name, variant: manifest.variant, dir: plan.dir, manifest }, splits };
  } catch (err) {
    if (!(err instanceof CacheError)) throw err;
    return `it failed verification: ${err.message}`;
  }
}

/**
 * A task's splits, from the cache when it matches the options and its checksums verify,
 * otherwise prepared first: from `source` when given. With neither `source` nor `generate`:
 * the official cache when there is one (prepared earlier from a source), else generated data
 * when the task has a generator, else an error that says where to get the data.
 */
export async function ensureTaskData(opts: PrepareOptions): Promise<TaskData> {
  const task = getTask(opts.task);
  const log = opts.log ?? (() => undefined);
  if (opts.source === undefined && (opts.generate ?? false) === false) {
    const official = planOfficial(task, opts, '');
    const cached = await tryCache(official, true);
    if (typeof cached === 'object' && cached !== null) {
      log(`using the cache in ${official.dir}`, { variant: cached.prepared.variant });
      return cached;
    }
    const howTo = `run \`lra data prepare --task ${task.name} --source DIR\` with DIR holding ${task.sourceHint}`;
    if (typeof cached === 'string') {
      // Never fall back to other data silently when the official cache is there but broken.
      throw new CacheError(official.dir, `the official cache cannot be used: ${cached}; ${howTo}`);
    }
    if (task.generator === undefined) {
      throw new DataSourceError(`no prepared data for task "${task.name}" in ${official.dir}; ${howTo}`);
    }
    log(`no source folder given and no official cache in ${official.dir}: using generated ${task.title} data`);
    return ensureTaskData({ ...opts, generate: true });
  }
  const plan = planFor(task, opts);
  const cached = await tryCache(plan, false);
  if (typeof cached === 'object' && cached !== null) {
    log(`using the cache in ${plan.dir}`, { variant: cached.prepared.variant });
    return cached;
  }
  if (typeof cached === 'string') log(`preparing the cache in ${plan.dir} again: ${cached}`);
  return prepareFromPlan(plan, opts);
}
