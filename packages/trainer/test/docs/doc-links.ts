// Finds the references of a markdown document that point nowhere in the repository: relative
// links and images (resolved against the document's folder), plain or backticked mentions of a
// repository path such as docs/x.md or packages/models/src (resolved against the repository
// root), upper-case document names such as README.md (the document's folder or the root), and
// any path that climbs out of the repository (../shared), and #anchors that name no heading of
// the markdown file they point into. A user reads the docs in a clone of the repository, so
// nothing else is there for them to open.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';

export interface BrokenReference {
  /** The document, relative to the repository root. */
  file: string;
  line: number;
  /** The reference as written. */
  reference: string;
  reason: string;
}

/** Folders at the repository's top level whose paths the docs mention without a link. */
export const MENTIONED_ROOTS = ['docs', 'packages', 'experiments', 'scripts', 'docker'] as const;

// Characters that end a plain path mention: whitespace, quotes, brackets, punctuation of prose
// and tables.
const PATH_CHARS = String.raw`[^\s\`'"()<>\[\]{}*,;|$…]`;
const MARKDOWN_LINK = /!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g;
const REFERENCE_DEFINITION = /^\s{0,3}\[[^\]]+\]:\s+<?(\S+?)>?(?:\s+"[^"]*")?\s*$/;
const ROOT_MENTION = new RegExp(String.raw`(?<![\w./@-])(?:${MENTIONED_ROOTS.join('|')})/${PATH_CHARS}*`, 'g');
const PARENT_MENTION = new RegExp(String.raw`(?<![\w./@-])(?:\.\./)+${PATH_CHARS}*`, 'g');
const DOCUMENT_NAME = /(?<![\w./@-])[A-Z][A-Z0-9_-]*\.md\b/g;
const URL = /\b[a-z][a-z0-9+.-]*:\/\/[^\s)>\]`'"]+/gi;
/** A mention followed by one of these is a pattern (<task>, *, {a,b}, …, $VAR), not a path. */
const PLACEHOLDER_NEXT = /^[<*{…$]/;

function hasScheme(target: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(target);
}

/** A path without its #fragment or ?query, and without a trailing sentence full stop or colon. */
function bare(path: string): string {
  return path.replace(/[#?].*$/, '').replace(/[.:]+$/, '');
}

/**
 * The anchors of a markdown document's headings as GitHub makes them: lower case, punctuation
 * other than hyphens and underscores dropped, spaces made hyphens, repeats numbered -1, -2, ...
 */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    const heading = fenced ? null : /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const base = heading[1]!
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

function insideRepository(root: string, absolute: string): boolean {
  const rel = relative(root, absolute);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** How the checker sees the repository: the file system by default, a fake in unit tests. */
export interface RepositoryView {
  exists(absolute: string): boolean;
  /** The text of a markdown file that exists. */
  read(absolute: string): string;
}

const fileSystem: RepositoryView = { exists: existsSync, read: (path) => readFileSync(path, 'utf8') };

/** Every broken reference of one document; `file` is its path relative to `root`. */
export function findBrokenReferences(root: string, file: string, text: string, view: RepositoryView = fileSystem): BrokenReference[] {
  const exists = (path: string): boolean => view.exists(path);
  const broken: BrokenReference[] = [];
  const folder = dirname(resolve(root, file));
  const check = (line: number, reference: string, absolute: string, missing: string): void => {
    if (!insideRepository(root, absolute)) broken.push({ file, line, reference, reason: 'points outside the repository' });
    else if (!exists(absolute)) broken.push({ file, line, reference, reason: missing });
  };

  text.split('\n').forEach((raw, index) => {
    const line = index + 1;
    const links: string[] = [...raw.matchAll(MARKDOWN_LINK)].map((m) => m[1]!);
    const definition = REFERENCE_DEFINITION.exec(raw);
    if (definition) links.push(definition[1]!);
    for (const target of links) {
      if (hasScheme(target)) continue;
      const path = bare(target);
      const absolute = path === '' ? resolve(root, file) : resolve(folder, decodeURI(path));
      if (path !== '') check(line, target, absolute, 'link target does not exist');
      const anchor = /#(.+)$/.exec(target)?.[1];
      if (anchor === undefined || !absolute.endsWith('.md')) continue;
      // A link into this document reads its own text; one into another needs that file.
      if (path !== '' && (!insideRepository(root, absolute) || !exists(absolute))) continue;
      const anchors = headingAnchors(path === '' ? text : view.read(absolute));
      if (!anchors.has(decodeURIComponent(anchor))) broken.push({ file, line, reference: target, reason: 'no heading has this anchor' });
    }

    // Plain mentions: in the text without links' targets and URLs, so neither is read twice.
    const prose = raw.replace(MARKDOWN_LINK, (whole) => whole.replace(/\]\(.*$/, ']')).replace(URL, ' ');
    for (const m of prose.matchAll(ROOT_MENTION)) {
      if (PLACEHOLDER_NEXT.test(prose.slice(m.index! + m[0].length))) continue;
      const path = bare(m[0]);
      check(line, m[0], resolve(root, path), 'no such path in the repository (mentions are read from the repository root)');
    }
    for (const m of prose.matchAll(PARENT_MENTION)) {
      if (PLACEHOLDER_NEXT.test(prose.slice(m.index! + m[0].length))) continue;
      check(line, m[0], resolve(folder, bare(m[0])), 'no such path in the repository');
    }
    for (const m of prose.matchAll(DOCUMENT_NAME)) {
      const name = m[0];
      if (!exists(join(folder, name)) && !exists(join(root, name))) {
        broken.push({ file, line, reference: name, reason: 'no such document beside this one or at the repository root' });
      }
    }
  });
  return broken;
}
