/**
 * A YAML reader for the block subset manifests use (maps, sequences, quoted and plain scalars,
 * `---` documents), written from the YAML 1.2 spec for tests: emitted manifests must read back
 * as the objects that were meant.
 */
type Value = unknown;

interface Line {
  indent: number;
  text: string;
  no: number;
}

function plainScalar(s: string): Value {
  if (s === '[]') return [];
  if (s === '{}') return {};
  if (s === 'null' || s === '~' || s === '') return null;
  if (s === 'true') return true;
  if (s === 'false') return false;
  if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) return Number(s);
  if (/^[\[{&*!|>'%@`#]/.test(s)) throw new Error(`unsupported plain scalar ${s}`);
  return s;
}

/** A double-quoted scalar (YAML escapes that JSON shares, plus \0 \a \e \N \_ \x \L \P). */
function doubleQuoted(s: string): string {
  if (!s.startsWith('"') || !s.endsWith('"') || s.length < 2) throw new Error(`unterminated string ${s}`);
  const body = s.slice(1, -1);
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === '"') throw new Error(`unescaped quote in ${s}`);
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = body[++i];
    const simple: Record<string, string> = { '0': '\0', a: '\x07', b: '\b', t: '\t', n: '\n', v: '\v', f: '\f', r: '\r', e: '\x1b', ' ': ' ', '"': '"', '/': '/', '\\': '\\', N: '\x85', _: '\xa0', L: '\u2028', P: '\u2029' };
    if (e !== undefined && e in simple) out += simple[e];
    else if (e === 'x' || e === 'u' || e === 'U') {
      const n = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      out += String.fromCodePoint(parseInt(body.slice(i + 1, i + 1 + n), 16));
      i += n;
    } else throw new Error(`bad escape \\${e} in ${s}`);
  }
  return out;
}

function scalar(s: string): Value {
  return s.startsWith('"') ? doubleQuoted(s) : plainScalar(s);
}

/** Splits `key: rest` at the first ': ' outside quotes. */
function splitKey(text: string): [string, string] | null {
  let i = 0;
  if (text.startsWith('"')) {
    i = 1;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i += 1;
  } else {
    const m = /^[^:"]*/.exec(text);
    i = m ? m[0].length : 0;
  }
  if (text[i] !== ':' || (i + 1 < text.length && text[i + 1] !== ' ')) return null;
  const rawKey = text.slice(0, i);
  return [rawKey.startsWith('"') ? doubleQuoted(rawKey) : rawKey, text.slice(i + 1).trim()];
}

function parseBlock(lines: Line[], start: number, indent: number): [Value, number] {
  const first = lines[start]!;
  if (first.text.startsWith('- ') || first.text === '-') {
    const out: Value[] = [];
    let i = start;
    while (i < lines.length && lines[i]!.indent === indent && (lines[i]!.text.startsWith('- ') || lines[i]!.text === '-')) {
      const rest = lines[i]!.text.slice(2);
      if (rest === '' ) {
        const [v, next] = parseBlock(lines, i + 1, lines[i + 1]!.indent);
        out.push(v);
        i = next;
      } else if (splitKey(rest) || rest.startsWith('- ')) {
        // A collection starting on the dash line: re-read it as a block two columns in.
        const inner: Line[] = [{ indent: indent + 2, text: rest, no: lines[i]!.no }];
        let j = i + 1;
        while (j < lines.length && lines[j]!.indent > indent) inner.push(lines[j++]!);
        out.push(parseBlock(inner, 0, indent + 2)[0]);
        i = j;
      } else {
        out.push(scalar(rest));
        i += 1;
      }
    }
    return [out, i];
  }
  const out: Record<string, Value> = {};
  let i = start;
  while (i < lines.length && lines[i]!.indent === indent) {
    const kv = splitKey(lines[i]!.text);
    if (!kv) throw new Error(`line ${lines[i]!.no}: expected "key: value", got ${lines[i]!.text}`);
    const [key, rest] = kv;
    if (key in out) throw new Error(`line ${lines[i]!.no}: duplicate key ${key}`);
    if (rest !== '') {
      out[key] = scalar(rest);
      i += 1;
    } else if (i + 1 < lines.length && (lines[i + 1]!.indent > indent || (lines[i + 1]!.indent === indent && lines[i + 1]!.text.startsWith('- ')))) {
      const [v, next] = parseBlock(lines, i + 1, lines[i + 1]!.indent);
      out[key] = v;
      i = next;
    } else {
      out[key] = null;
      i += 1;
    }
  }
  if (i < lines.length && lines[i]!.indent > indent) throw new Error(`line ${lines[i]!.no}: bad indentation`);
  return [out, i];
}

export function readYamlDocuments(text: string): Value[] {
  const docs: Line[][] = [[]];
  text.split('\n').forEach((raw, n) => {
    if (raw.includes('\t') && /^\s*\t/.test(raw)) throw new Error(`line ${n + 1}: tab indentation`);
    if (raw.trim() === '' || raw.trimStart().startsWith('#')) return;
    if (raw === '---') {
      if (docs[docs.length - 1]!.length > 0) docs.push([]);
      return;
    }
    const indent = raw.length - raw.trimStart().length;
    docs[docs.length - 1]!.push({ indent, text: raw.trim(), no: n + 1 });
  });
  return docs.filter((d) => d.length > 0).map((d) => {
    const [v, end] = parseBlock(d, 0, d[0]!.indent);
    if (end !== d.length) throw new Error(`line ${d[end]!.no}: unexpected ${d[end]!.text}`);
    return v;
  });
}
