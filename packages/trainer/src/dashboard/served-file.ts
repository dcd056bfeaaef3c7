// Which file a /files/... URL names, read-only and only inside RUNS. Each segment is decoded
// on its own and must be a plain name, so neither `..` nor an encoded slash climbs out; the real
// path (links resolved) must still lie under RUNS' real path; and only the kinds of file a run's
// reports are made of are served (not checkpoints, not anything else a user keeps there).
import { realpathSync, statSync } from 'node:fs';
import { extname, join, sep } from 'node:path';

export const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.md': 'text/markdown; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.jsonl': 'application/x-ndjson; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.html': 'text/html; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

export type ServedFile = { path: string; contentType: string } | { status: 403 | 404; message: string };

/** `urlPath`: what follows /files/ in the URL, still percent-encoded. `root`: RUNS' real path. */
export function resolveServedFile(root: string, urlPath: string): ServedFile {
  const segments: string[] = [];
  for (const raw of urlPath.split('/')) {
    let name: string;
    try {
      name = decodeURIComponent(raw);
    } catch {
      return { status: 404, message: 'malformed path' };
    }
    if (name === '' || name === '.' || name === '..' || /[/\\\0]/.test(name)) return { status: 403, message: 'paths must stay inside the runs folder' };
    segments.push(name);
  }
  const contentType = CONTENT_TYPES[extname(segments[segments.length - 1]!).toLowerCase()];
  let real: string;
  try {
    real = realpathSync(join(root, ...segments));
  } catch {
    return { status: 404, message: 'no such file' };
  }
  if (!real.startsWith(root.endsWith(sep) ? root : `${root}${sep}`)) return { status: 403, message: 'paths must stay inside the runs folder' };
  let isFile: boolean;
  try {
    isFile = statSync(real).isFile();
  } catch {
    isFile = false; // removed since: a run starting over
  }
  if (!isFile) return { status: 404, message: 'not a file' };
  if (contentType === undefined) return { status: 403, message: `only ${Object.keys(CONTENT_TYPES).join(', ')} files are served` };
  return { path: real, contentType };
}
