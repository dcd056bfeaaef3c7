// Member selection and path safety for archive extraction.
//
// Patterns are globs over `/`-separated member paths: `*` and `?` stay within one path segment,
// `**` spans any number of segments (`**/x` also matches `x` at the top), and a pattern ending
// in `/` selects everything below that folder.

function escapeRegex(text: string): string {
  return text.replace(/[.+^${}()|[\]\\]/g, '\\$&');
}

export function globToRegExp(pattern: string): RegExp {
  const glob = pattern.endsWith('/') ? `${pattern}**` : pattern;
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*' && glob[i + 1] === '*') {
      const slashAfter = glob[i + 2] === '/';
      const atSegmentStart = i === 0 || glob[i - 1] === '/';
      if (atSegmentStart && slashAfter) {
        out += '(?:.*/)?';
        i += 2;
      } else {
        out += '.*';
        i += 1;
      }
    } else if (c === '*') {
      out += '[^/]*';
    } else if (c === '?') {
      out += '[^/]';
    } else {
      out += escapeRegex(c);
    }
  }
  return new RegExp(`^${out}$`);
}

/** A predicate over normalised member paths; everything matches when `patterns` is absent. */
export function memberMatcher(patterns: readonly string[] | undefined): (path: string) => boolean {
  if (patterns === undefined) return () => true;
  const regexps = patterns.map(globToRegExp);
  return (path) => regexps.some((re) => re.test(path));
}

/** Why a member path may not be extracted, or null when it is safe. */
export function unsafeMemberReason(path: string): string | null {
  if (path.startsWith('/')) return 'absolute path';
  if (/^[A-Za-z]:/.test(path)) return 'drive-letter path';
  // A backslash is a separator on Windows, where `a\..\..\x` would climb out.
  if (path.includes('\\')) return 'backslash in path';
  if (path.split('/').includes('..')) return '".." in path';
  return null;
}

/**
 * The member path without `./` prefixes, empty segments or a trailing `/`; null for the archive
 * root itself. Throws (with the reason) for a path that could leave the destination.
 */
export function normalizeMemberPath(raw: string): string | null {
  const reason = unsafeMemberReason(raw);
  if (reason !== null) throw new Error(reason);
  const segments = raw.split('/').filter((s) => s !== '' && s !== '.');
  return segments.length === 0 ? null : segments.join('/');
}
