import { createHash } from 'node:crypto';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { loadCachedSplits } from './cache/load.js';
import { cacheFilesIn } from './cache/remnants.js';
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
import { DEFAULT_SHARD_BYTES, ShardedSplitWriter, type WrittenShard } from './cache/shard-writer.js';
import { stampOf, writeStamps, type FileStamps } from './cache/stamps.js';
import { CacheError, DataSourceError } from './errors.js';
import { labelCounts } from './inspect.js';
import { removeStaleTempFiles } from './io/atomic.js';
import { getTask } from './tasks/registry.js';
import { STORED_ID_SHIFT, tokenStorageFor } from './tokens/storage.js';
import type { GeneratorInput, ReadReport, SplitData, SplitName, TaskSpec } from './types.js';

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
  /**
   * Bytes of stored ids per cache file (256 MiB by default): larger splits are written as
   * several shard files, and preparing holds at most one shard of ids in memory.
   */
  shardBytes?: number | undefined;
  /**
   * Loading a cache: hash every file against the manifest even when its size and mtime match the
   * stamp of its last verification (by default such files are trusted and not hashed again).
   */
  verify?: boolean | undefined;
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

  // Every split streams into shard files sealed under temporary names; they replace the old
  // cache only once every split has been read and verified, so bad source data leaves a good
  // cache as it was.
  await mkdir(dir, { recursive: true });
  await removeStaleTempFiles(dir);
  const shardBytes = opts.shardBytes ?? DEFAULT_SHARD_BYTES;
  const writers: ShardedSplitWriter[] = [];
  const read = new Map<SplitName, { report: ReadReport; shards: WrittenShard[]; labels: Int32Array; writer: ShardedSplitWriter }>();
  const entries: Partial<Record<SplitName, ManifestSplit>> = {};
  let sourceChecksums: TaskManifest['sourceChecksums'];
  let byPath: Map<string, SourceFileChecksum>;
  try {
    for (const split of task.splits) {
      log(`reading ${task.name} ${split} from ${sourceDir}`);
      const writer = new ShardedSplitWriter({
        dir,
        task: task.name,
        split,
        seqLen,
        pair: task.pair,
        vocabSize: task.vocabSize,
        vocabVersion: task.vocabVersion,
        shardBytes,
      });
      writers.push(writer);
      const report = await task.readInto(sourceDir, split, writer, {
        skipBad,
        seqLen,
        onProgress: (done, total) => opts.onProgress?.({ stage: 'read', split, done, ...(total === undefined ? {} : { total }) }),
      });
      const { shards, labels } = await writer.finish();
      read.set(split, { report, shards, labels, writer });
      const { count, skipped } = writer;
      log(`read ${task.name} ${split}: ${count} rows${skipped > 0 ? `, ${skipped} bad rows skipped` : ''}`, { split, count, skipped });
      opts.onProgress?.({ stage: 'write', split, done: read.size, total: task.splits.length });
    }

    // Checksums of what was read, so a manifest says exactly which release files a cache holds.
    // Each file is hashed once, though splits may share files (IMDB's val and test).
    const allSources = task.splits.flatMap((split) => read.get(split)!.report.sources ?? []);
    byPath = new Map((await checksumSourceFiles(sourceDir, allSources)).map((f) => [f.path, f]));
    for (const split of task.splits) {
      const { report, shards, labels, writer } = read.get(split)!;
      let sums: SourceFileChecksum[] | undefined;
      if (report.sources !== undefined) {
        const names = checksumNames(sourceDir, report.sources);
        sums = names.map((name) => byPath.get(name)!).sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
      }
      const files = writer.fileNames().map((file, k) => ({ file, ...shards[k]! }));
      entries[split] = {
        rows: writer.count,
        skipped: writer.skipped,
        ...(report.dropped ? { dropped: report.dropped } : {}),
        tokens: files.reduce((n, f) => n + f.tokens, 0),
        bytes: files.reduce((n, f) => n + f.bytes, 0),
        files,
        labelCounts: labelCounts(labels, task.numClasses),
        ...(sums === undefined ? {} : { sources: summariseSources(sums) }),
      };
    }

    // Without a manifest the folder is never taken for a valid cache, whatever happens next.
    await rm(manifestPath(dir), { force: true });
    for (const writer of writers) await writer.publish();
  } catch (err) {
    for (const writer of writers) await writer.abort();
    throw err;
  }
  await removeUnlistedSplitFiles(dir, entries);
  if (byPath.size > 0) {
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
    tokenStorage: { type: tokenStorageFor(task.vocabSize).type, idShift: STORED_ID_SHIFT, shardBytes },
    skipBad,
    source: plan.source,
    ...(sourceChecksums === undefined ? {} : { sourceChecksums }),
    splits: entries,
  };
  // The files were hashed as they were written: stamp them, so that loading them does not hash again.
  const stamps: FileStamps = {};
  for (const entry of Object.values(entries)) for (const f of entry.files) stamps[f.file] = await stampOf(join(dir, f.file), f.sha256);
  await writeStamps(dir, stamps);
  await writeManifest(dir, manifest);
  log(`wrote ${dir}`, { variant: plan.variant });
  const loaded = await loadCachedSplits(dir, manifest, task.splits);
  return { prepared: { task: task.name, variant: plan.variant, dir, manifest }, splits: loaded.splits as Record<SplitName, SplitData> };
}

const SPLIT_FILE_PATTERN = /^(train|val|test)(-\d{5}-of-\d{5})?\.arrow$/;

/** Removes split files of an earlier preparation that the new manifest does not list (a split that had more shards). */
async function removeUnlistedSplitFiles(dir: string, entries: Partial<Record<SplitName, ManifestSplit>>): Promise<void> {
  const listed = new Set(Object.values(entries).flatMap((e) => e.files.map((f) => f.file)));
  for (const name of await readdir(dir)) {
    if (SPLIT_FILE_PATTERN.test(name) && !listed.has(name)) await rm(join(dir, name), { force: true });
  }
}

/**
 * Reads a task's official files (or generates official-format files and reads them back through
 * the same reader), verifies every row, and writes `<dataDir>/cache/<task>/<variant>/`: each split
 * streamed into one or more Arrow files of at most `shardBytes` of ids, and a manifest of their
 * row counts and checksums.
 */
export async function prepareTask(opts: PrepareOptions): Promise<PreparedTask> {
  const task = getTask(opts.task);
  return (await prepareFromPlan(planFor(task, opts), opts)).prepared;
}

/** What identifies a source for cache matching: not where generated files were put. */
function sourceIdentity(source: ManifestSource): object {
  return source.kind === 'generated' ? { kind: source.kind, generator: source.generator } : source;
}

/** Why a manifest cannot be read by this version (an older or newer cache format), or null. */
export function manifestVersionProblem(m: TaskManifest): string | null {
  if (m.formatVersion === CACHE_FORMAT_VERSION) return null;
  const which = typeof m.formatVersion === 'number' && m.formatVersion > CACHE_FORMAT_VERSION ? 'a newer' : 'an older';
  return `prepared by ${which} version (cache format ${JSON.stringify(m.formatVersion ?? null)}, this version reads ${CACHE_FORMAT_VERSION}): run lra data prepare again`;
}

/** Why the manifest does not describe what the plan asks for, or null when it does. */
function manifestMismatch(m: TaskManifest, plan: Plan, anyOfficialSource: boolean): string | null {
  if (m.task !== plan.task.name) return `task ${m.task}`;
  if (m.vocabVersion !== plan.task.vocabVersion) return `vocabulary ${m.vocabVersion}, expected ${plan.task.vocabVersion}`;
  if (m.seqLen !== plan.seqLen) return `seqLen ${m.seqLen}, expected ${plan.seqLen}`;
  // The loader checks ids and labels against these: they must be the task's own.
  if (m.vocabSize !== plan.task.vocabSize) return `vocabSize ${m.vocabSize}, expected ${plan.task.vocabSize}`;
  if (m.numClasses !== plan.task.numClasses) return `numClasses ${m.numClasses}, expected ${plan.task.numClasses}`;
  for (const split of plan.task.splits) if (m.splits[split] === undefined) return `no ${split} split`;
  if (anyOfficialSource) return m.source.kind === 'official' ? null : `made from ${m.source.kind} data`;
  if (m.skipBad !== plan.skipBad) return `skipBad ${m.skipBad}, expected ${plan.skipBad}`;
  const had = canonicalJson(sourceIdentity(m.source));
  return had === canonicalJson(sourceIdentity(plan.source)) ? null : `made from another source: ${had}`;
}

/**
 * The cached splits when a manifest matches the plan and every file verifies (by its stamp or
 * its checksum); otherwise why not (null when there is no manifest at all).
 */
async function tryCache(plan: Plan, anyOfficialSource: boolean, verify: boolean): Promise<TaskData | string | null> {
  let manifest: TaskManifest | null;
  try {
    manifest = await readManifest(plan.dir);
  } catch (err) {
    if (!(err instanceof CacheError)) throw err;
    return err.message;
  }
  if (manifest === null) return null;
  const old = manifestVersionProblem(manifest);
  if (old !== null) return `it was ${old}`;
  const mismatch = manifestMismatch(manifest, plan, anyOfficialSource);
  if (mismatch !== null) return `it does not match (${mismatch})`;
  try {
    const { splits } = await loadCachedSplits(plan.dir, manifest, plan.task.splits, { verify });
    return { prepared: { task: plan.task.name, variant: manifest.variant, dir: plan.dir, manifest }, splits: splits as Record<SplitName, SplitData> };
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
    const cached = await tryCache(official, true, opts.verify ?? false);
    if (typeof cached === 'object' && cached !== null) {
      log(`using the cache in ${official.dir}`, { variant: cached.prepared.variant });
      return cached;
    }
    const howTo = `run \`lra data prepare --task ${task.name} --source DIR\` with DIR holding ${task.sourceHint}`;
    if (typeof cached === 'string') {
      // Never fall back to other data silently when the official cache is there but broken.
      throw new CacheError(official.dir, `the official cache cannot be used: ${cached}; ${howTo}`);
    }
    const orphans = await cacheFilesIn(official.dir);
    if (orphans.length > 0) {
      // Its manifest lost (deleted, or a preparation killed before writing it): the files cannot
      // be verified, and generated data in their place would be another data set.
      throw new CacheError(
        manifestPath(official.dir),
        `missing, though the official cache folder holds ${orphans.join(', ')}: those files cannot be verified without it, and generated data is not used in their place; ${howTo}`,
      );
    }
    if (task.generator === undefined) {
      throw new DataSourceError(`no prepared data for task "${task.name}" in ${official.dir}; ${howTo}`);
    }
    log(`no source folder given and no official cache in ${official.dir}: using generated ${task.title} data`);
    return ensureTaskData({ ...opts, generate: true });
  }
  const plan = planFor(task, opts);
  const cached = await tryCache(plan, false, opts.verify ?? false);
  if (typeof cached === 'object' && cached !== null) {
    log(`using the cache in ${plan.dir}`, { variant: cached.prepared.variant });
    return cached;
  }
  if (typeof cached === 'string') log(`preparing the cache in ${plan.dir} again: ${cached}`);
  return prepareFromPlan(plan, opts);
}
