import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { isSha256Hex } from './sha256.js';

export const SOURCES_FORMAT_VERSION = 1;

/** One downloadable file. */
export interface SourceArchive {
  title: string;
  url: string;
  /** File name under `<dataDir>/raw/downloads/`. */
  file: string;
  /** Size in bytes, or null when not published. */
  bytes: number | null;
  /** SHA-256 (hex), or null when not published: the first download then records it in a lock file. */
  sha256: string | null;
  homepage: string;
  notes: string;
}

/** What a task needs from an archive. */
export interface TaskSource {
  /** Key into `archives`. */
  archive: string;
  /** Globs of the members to extract (see member-paths.ts). */
  members: string[];
  /**
   * The folder to hand to the task's reader as `--source`: the shallowest folder of this name
   * among the extracted files (archives nest differently; the release holds some tasks under
   * `lra_release/lra_release/`).
   */
  sourceFolder: string;
}

export interface SourcesManifest {
  formatVersion: number;
  archives: Record<string, SourceArchive>;
  tasks: Record<string, TaskSource>;
}

/** `datasets/sources.json` of the repository (src/download/ and dist/download/ sit at the same depth). */
export function defaultSourcesManifestPath(): string {
  return fileURLToPath(new URL('../../../../datasets/sources.json', import.meta.url));
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Validates a parsed sources manifest strictly: unknown and missing keys are errors. */
export function parseSourcesManifest(value: unknown, where: string): SourcesManifest {
  const fail = (path: string, reason: string): never => {
    throw new Error(`${where}: ${path}: ${reason}`);
  };
  const keys = (obj: Json, path: string, allowed: readonly string[]): void => {
    for (const key of Object.keys(obj)) if (!allowed.includes(key)) fail(`${path}.${key}`, `unknown key (known: ${allowed.join(', ')})`);
    for (const key of allowed) if (!(key in obj)) fail(`${path}.${key}`, 'missing');
  };
  const str = (obj: Json, key: string, path: string): string => {
    const v = obj[key];
    if (typeof v !== 'string' || v === '') fail(`${path}.${key}`, 'must be a non-empty string');
    return v as string;
  };

  if (!isObject(value)) return fail('(root)', 'must be an object');
  keys(value, '(root)', ['formatVersion', 'archives', 'tasks']);
  if (value.formatVersion !== SOURCES_FORMAT_VERSION) fail('formatVersion', `must be ${SOURCES_FORMAT_VERSION}`);
  if (!isObject(value.archives)) return fail('archives', 'must be an object');
  if (!isObject(value.tasks)) return fail('tasks', 'must be an object');

  const archives: Record<string, SourceArchive> = {};
  for (const [id, raw] of Object.entries(value.archives)) {
    const path = `archives.${id}`;
    if (!isObject(raw)) return fail(path, 'must be an object');
    keys(raw, path, ['title', 'url', 'file', 'bytes', 'sha256', 'homepage', 'notes']);
    const url = str(raw, 'url', path);
    let protocol = '';
    try {
      protocol = new URL(url).protocol;
    } catch {
      fail(`${path}.url`, `not a URL: ${url}`);
    }
    if (protocol !== 'https:' && protocol !== 'http:') fail(`${path}.url`, 'must be an http(s) URL');
    const file = str(raw, 'file', path);
    if (file.includes('/') || file.includes('\\') || file.startsWith('.')) fail(`${path}.file`, 'must be a plain file name');
    const bytes = raw.bytes;
    if (bytes !== null && !(typeof bytes === 'number' && Number.isSafeInteger(bytes) && bytes > 0)) fail(`${path}.bytes`, 'must be a positive integer or null');
    const sha256 = raw.sha256;
    if (sha256 !== null && !(typeof sha256 === 'string' && isSha256Hex(sha256))) fail(`${path}.sha256`, 'must be 64 lower-case hex digits or null');
    archives[id] = {
      title: str(raw, 'title', path),
      url,
      file,
      bytes: bytes as number | null,
      sha256: sha256 as string | null,
      homepage: str(raw, 'homepage', path),
      notes: typeof raw.notes === 'string' ? raw.notes : fail(`${path}.notes`, 'must be a string'),
    };
  }

  const tasks: Record<string, TaskSource> = {};
  for (const [name, raw] of Object.entries(value.tasks)) {
    const path = `tasks.${name}`;
    if (!isObject(raw)) return fail(path, 'must be an object');
    keys(raw, path, ['archive', 'members', 'sourceFolder']);
    const archive = str(raw, 'archive', path);
    if (!Object.hasOwn(archives, archive)) fail(`${path}.archive`, `no archive "${archive}" (known: ${Object.keys(archives).join(', ')})`);
    const members = raw.members;
    if (!Array.isArray(members) || members.length === 0 || !members.every((m) => typeof m === 'string' && m !== '')) {
      fail(`${path}.members`, 'must be a non-empty array of glob strings');
    }
    const sourceFolder = str(raw, 'sourceFolder', path);
    if (sourceFolder.includes('/') || sourceFolder.includes('\\')) fail(`${path}.sourceFolder`, 'must be one folder name');
    tasks[name] = { archive, members: [...(members as string[])], sourceFolder };
  }
  return { formatVersion: SOURCES_FORMAT_VERSION, archives, tasks };
}

export async function readSourcesManifest(path: string = defaultSourcesManifestPath()): Promise<SourcesManifest> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read the sources manifest ${path}: ${(err as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new Error(`${path}: not valid JSON: ${(err as Error).message}`);
  }
  return parseSourcesManifest(value, path);
}
