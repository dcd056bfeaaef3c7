import { readFile, readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DataSourceError } from '../errors.js';
import { writeJsonAtomic } from '../io/atomic.js';
import { downloadFile, type DownloadLog } from './download-file.js';
import { ArchiveError } from './errors.js';
import { extractTarGz } from './extract-tar-gz.js';
import { verifyArchive } from './verify-archive.js';
import type { HttpGet } from './http-get.js';
import { defaultSourcesManifestPath, readSourcesManifest, type SourceArchive, type TaskSource } from './sources-manifest.js';

export type SourcesPhase = 'download' | 'extract';

export interface DownloadTaskSourcesOptions {
  task: string;
  /** Downloads go to `<dataDir>/raw/downloads/`, extracted files to `<dataDir>/raw/<task>/official/`. */
  dataDir: string;
  /** The sources manifest; `<dataDir>/sources.json` when that exists, else the repository's `datasets/sources.json`. */
  manifest?: string | undefined;
  /** Bytes done of the total (undefined while unknown); `phase` says which pass it is. */
  onProgress?: ((doneBytes: number, totalBytes: number | undefined, phase: SourcesPhase) => void) | undefined;
  log?: DownloadLog | undefined;
  fetchImpl?: HttpGet | undefined;
  /** Passed to downloadFile. */
  retries?: number | undefined;
  retryDelayMs?: number | undefined;
  idleTimeoutMs?: number | undefined;
  /** Extract again even when an earlier extraction of the same archive and members is there. */
  force?: boolean | undefined;
}

export interface TaskSourcesResult {
  /** The folder to hand to the task's reader (`lra data prepare --source`). */
  sourceDir: string;
  /** The downloaded archive. */
  archivePath: string;
  /** Where the task's members were extracted (their archive paths kept). */
  extractDir: string;
  /** SHA-256 of the archive as downloaded (or as recorded by the extraction that is reused). */
  sha256: string;
  downloaded: boolean;
  extracted: boolean;
}

/** Written beside the extracted members: what they were extracted from, so a rerun can reuse them. */
interface ExtractionRecord {
  archive: string;
  url: string;
  sha256: string;
  members: string[];
  files: number;
}

const EXTRACTION_RECORD = '.extracted.json';

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function readRecord(path: string): Promise<ExtractionRecord | null> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as ExtractionRecord;
  } catch {
    return null;
  }
}

/** The shallowest folder named `name` under `root` (breadth first, names sorted), or null. */
async function findFolder(root: string, name: string): Promise<string | null> {
  let level = [root];
  while (level.length > 0) {
    const next: string[] = [];
    for (const dir of level) {
      const entries = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort();
      for (const entry of entries) {
        if (entry === name) return join(dir, entry);
        next.push(join(dir, entry));
      }
    }
    level = next;
  }
  return null;
}

function recordMatches(record: ExtractionRecord | null, id: string, archive: SourceArchive, source: TaskSource): record is ExtractionRecord {
  return (
    record !== null &&
    record.archive === id &&
    record.url === archive.url &&
    (archive.sha256 === null || record.sha256 === archive.sha256) &&
    JSON.stringify(record.members) === JSON.stringify(source.members)
  );
}

/** Why `path` is not a whole archive, or null when it reads to its end. */
async function archiveProblem(path: string): Promise<string | null> {
  try {
    await verifyArchive(path);
    return null;
  } catch (err) {
    if (err instanceof ArchiveError) return err.reason;
    throw err;
  }
}

/**
 * Gets a task's official files: downloads its archive (resumable, verified; see downloadFile),
 * extracts only the members the task needs, and returns the folder its reader takes as
 * `--source`. A rerun reuses an extraction made from the same archive and member list without
 * downloading anything.
 */
export async function downloadTaskSources(opts: DownloadTaskSourcesOptions): Promise<TaskSourcesResult> {
  const dataDir = resolve(opts.dataDir);
  const log: DownloadLog = opts.log ?? (() => undefined);
  const local = join(dataDir, 'sources.json');
  const manifestPath = opts.manifest ?? ((await exists(local)) ? local : defaultSourcesManifestPath());
  const manifest = await readSourcesManifest(manifestPath);
  const source = Object.hasOwn(manifest.tasks, opts.task) ? manifest.tasks[opts.task] : undefined;
  if (source === undefined) {
    throw new DataSourceError(`no download source for task "${opts.task}" in ${manifestPath}; it lists: ${Object.keys(manifest.tasks).join(', ')}`);
  }
  const archive = manifest.archives[source.archive] as SourceArchive;
  const archivePath = join(dataDir, 'raw', 'downloads', archive.file);
  const extractDir = join(dataDir, 'raw', opts.task, 'official');
  const recordPath = join(extractDir, EXTRACTION_RECORD);

  const findSourceDir = async (): Promise<string> => {
    const found = await findFolder(extractDir, source.sourceFolder);
    if (found === null) {
      throw new DataSourceError(`${opts.task}: no folder named ${source.sourceFolder} among the files extracted from ${archivePath} into ${extractDir}`);
    }
    return found;
  };

  const previous = await readRecord(recordPath);
  if (opts.force !== true && recordMatches(previous, source.archive, archive, source)) {
    const sourceDir = await findSourceDir();
    log(`${opts.task}: using the files already extracted from ${archive.file} in ${extractDir}`);
    return { sourceDir, archivePath, extractDir, sha256: previous.sha256, downloaded: false, extracted: false };
  }

  log(`${opts.task}: ${archive.title} from ${archive.url}`, { file: archivePath, bytes: archive.bytes, sha256: archive.sha256 });
  const download = await downloadFile({
    url: archive.url,
    dest: archivePath,
    sha256: archive.sha256,
    bytes: archive.bytes,
    onProgress: (done, total) => opts.onProgress?.(done, total, 'download'),
    log,
    fetchImpl: opts.fetchImpl,
    retries: opts.retries,
    retryDelayMs: opts.retryDelayMs,
    idleTimeoutMs: opts.idleTimeoutMs,
    // Without a published checksum, only reading the archive to its end shows it is whole.
    checkContent: archiveProblem,
  });
  log(`${opts.task}: ${download.downloaded ? 'downloaded' : 'found'} ${archivePath} (${download.bytes} bytes, sha256 ${download.sha256}, checked: ${download.checksum})`);

  const extraction = await extractTarGz({
    archive: archivePath,
    destDir: extractDir,
    members: source.members,
    onProgress: (done, total) => opts.onProgress?.(done, total, 'extract'),
    log,
  });
  if (extraction.files === 0) {
    const seen = extraction.unmatchedExamples.length === 0 ? 'it holds no files' : `it holds e.g. ${extraction.unmatchedExamples.join(', ')}`;
    throw new DataSourceError(`${opts.task}: no member of ${archivePath} matches ${source.members.join(' or ')}; ${seen}`);
  }
  const record: ExtractionRecord = { archive: source.archive, url: archive.url, sha256: download.sha256, members: source.members, files: extraction.files };
  await writeJsonAtomic(recordPath, record);
  const sourceDir = await findSourceDir();
  log(`${opts.task}: extracted ${extraction.files} files (${extraction.bytes} bytes) into ${extractDir}; source folder ${sourceDir}`);
  return { sourceDir, archivePath, extractDir, sha256: download.sha256, downloaded: download.downloaded, extracted: true };
}
