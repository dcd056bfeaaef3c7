/**
 * An independent model of LRA's listops.py for tests: trees as the nested pairs it builds
 * (`((op, v0), v1) ... , ']')`), its to_string and its to_value (numpy's median written out).
 */
export type Tree = number | string | [Tree, Tree];
/** A readable way to write a tree: [op, ...args] or a digit. */
export type Expr = number | [string, ...Expr[]];

export function toTree(e: Expr): Tree {
  if (typeof e === 'number') return e;
  const [op, ...args] = e;
  let t: Tree = [op, toTree(args[0]!)];
  for (const a of args.slice(1)) t = [t, toTree(a)];
  return [t, ']'];
}

export function toString(t: Tree): string {
  if (typeof t === 'number') return String(t);
  if (typeof t === 'string') return t;
  return `( ${toString(t[0])} ${toString(t[1])} )`;
}

export function official(e: Expr): string {
  return toString(toTree(e));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 === 1 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
}

/** LRA's to_value on an Expr. */
export function value(e: Expr): number {
  if (typeof e === 'number') return e;
  const [op, ...args] = e;
  const vs = args.map(value);
  switch (op) {
    case '[MIN':
      return Math.min(...vs);
    case '[MAX':
      return Math.max(...vs);
    case '[MED':
      return Math.trunc(median(vs));
    case '[SM':
      return vs.reduce((a, b) => a + b, 0) % 10;
    default:
      throw new Error(`bad op ${op}`);
  }
}

/** Parses LRA's printed nested pairs back into an Expr; throws if the text is not in that form. */
export function parseOfficial(text: string): Expr {
  const words = text.split(' ');
  let pos = 0;
  const item = (): Tree => {
    const w = words[pos++];
    if (w === undefined) throw new Error('unexpected end');
    if (w === '(') {
      const a = item();
      const b = item();
      if (words[pos++] !== ')') throw new Error(`expected ) at word ${pos - 1}`);
      return [a, b];
    }
    if (/^\d$/.test(w)) return Number(w);
    if (['[MIN', '[MAX', '[MED', '[SM', ']'].includes(w)) return w;
    throw new Error(`unexpected word ${w}`);
  };
  const tree = item();
  if (pos !== words.length) throw new Error('trailing words');
  const fromTree = (t: Tree): Expr => {
    if (typeof t === 'number') return t;
    if (typeof t === 'string') throw new Error(`stray ${t}`);
    // ((...((op, a0), a1)...), ']')
    if (t[1] !== ']') throw new Error('an operator chain must end with ]');
    const args: Expr[] = [];
    let chain: Tree = t[0];
    while (Array.isArray(chain) && typeof chain[0] !== 'string') {
      args.unshift(fromTree(chain[1]));
      chain = chain[0];
    }
    if (!Array.isArray(chain) || typeof chain[0] !== 'string') throw new Error('missing operator');
    args.unshift(fromTree(chain[1]));
    return [chain[0], ...args];
  };
  return fromTree(tree);
}

/** Token strings after LRA's preprocessing. */
export function preprocessedTokens(e: Expr): string[] {
  return official(e).replaceAll(']', 'X').replaceAll('(', '').replaceAll(')', '').split(/\s+/).filter((w) => w !== '');
}
