// Finds the references of a markdown document that point nowhere in the repository: relative
// links and images (resolved against the document's folder), plain or backticked mentions of a
// repository path such as docs/x.md or packages/models/src (resolved against the repository
// root), upper-case document names such as README.md (the document's folder or the root), and
// any path that climbs out of the repository (../shared). A user reads the docs in a clone of
// the repository, so nothing else is there for them to open.
import { existsSync } from 'node:fs';
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

function insideRepository(root: string, absolute: string): boolean {
  const rel = relative(root, absolute);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * Every broken reference of one document. `file` is the document's path relative to `root`;
 * `exists` answers for an absolute path (the file system by default, a set in unit tests).
 */
export function findBrokenReferences(
  root: string,
  file: string,
  text: string,
  exists: (absolute: string) => boolean = existsSync,
): BrokenReference[] {
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
      if (hasScheme(target) || target.startsWith('#')) continue;
      const path = bare(target);
      if (path === '') continue;
      check(line, target, resolve(folder, decodeURI(path)), 'link target does not exist');
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
