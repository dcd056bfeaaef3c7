// Inlines the helper functions of a kernel's WebAssembly text (every function without an export)
// at each of their calls, before it is assembled. Node 20's V8 does not inline wasm calls (its
// inliner is behind --experimental-wasm-inlining), and a call per four lanes cost more than the
// lanes' arithmetic: column sums ran 2.5x slower and GELU 1.4x (measured 2026-12-07, 2-core AMD
// EPYC). Writing the helpers out by hand would repeat them at every use; this keeps the sources
// factored and the assembled modules flat.
//
// (call $h a b) becomes (block (result T) (local.set $h~1~p a) (local.set $h~1~q b) <body of $h>)
// with $h's parameters and locals renamed per call and declared in the caller, so each argument is
// evaluated once and in order, as the call did. The helper's own locals are reset to zero first
// (a call starts with zeroed locals; a loop around the inlined body must too). A helper may call
// helpers; it may not use `return`, call itself, or take unnamed parameters.

/** Tokens of WebAssembly text: parentheses, strings and atoms; comments dropped. */
function tokenize(text) {
  const tokens = [];
  for (let i = 0; i < text.length;) {
    const c = text[i];
    if (c === '(' && text[i + 1] === ';') {
      const end = text.indexOf(';)', i + 2);
      if (end < 0) throw new Error('unclosed block comment');
      i = end + 2;
    } else if (c === ';' && text[i + 1] === ';') {
      const end = text.indexOf('\n', i);
      i = end < 0 ? text.length : end + 1;
    } else if (c === '(' || c === ')') {
      tokens.push(c);
      i++;
    } else if (/\s/.test(c)) {
      i++;
    } else if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      tokens.push(text.slice(i, j + 1));
      i = j + 1;
    } else {
      let j = i;
      while (j < text.length && !/[\s()]/.test(text[j]) && !(text[j] === ';' && text[j + 1] === ';')) j++;
      tokens.push(text.slice(i, j));
      i = j;
    }
  }
  return tokens;
}

/** Nested arrays of atoms: the text's one top-level form. */
function parse(tokens) {
  const stack = [[]];
  for (const token of tokens) {
    if (token === '(') stack.push([]);
    else if (token === ')') {
      const done = stack.pop();
      if (stack.length === 0) throw new Error('unbalanced parentheses');
      stack.at(-1).push(done);
    } else stack.at(-1).push(token);
  }
  if (stack.length !== 1 || stack[0].length !== 1) throw new Error('expected one top-level form');
  return stack[0][0];
}

function print(node, indent = '') {
  if (!Array.isArray(node)) return node;
  if (node[0] === 'module' || node[0] === 'func') {
    const inner = indent + '  ';
    return `(${node.map((child, i) => (i === 0 || !Array.isArray(child) ? child : `\n${inner}${print(child, inner)}`)).join(' ').replace(/ \n/g, '\n')})`;
  }
  return `(${node.map((child) => print(child)).join(' ')})`;
}

const isList = (node) => Array.isArray(node);
const headOf = (node) => (isList(node) ? node[0] : undefined);

/** A func's name, parameters, locals, result types and body. */
function describeFunc(func) {
  const name = typeof func[1] === 'string' && func[1].startsWith('$') ? func[1] : undefined;
  const params = [];
  const locals = [];
  const results = [];
  let exported = false;
  let at = name === undefined ? 1 : 2;
  for (; at < func.length; at++) {
    const part = func[at];
    const head = headOf(part);
    if (head === 'export') exported = true;
    else if (head === 'param' || head === 'local') {
      if (part.length !== 3 || !part[1].startsWith('$')) throw new Error(`${name}: ${head}s must be named one per declaration`);
      (head === 'param' ? params : locals).push({ name: part[1], type: part[2] });
    } else if (head === 'result') results.push(...part.slice(1));
    else break;
  }
  return { name, exported, params, locals, results, headerLength: at, body: func.slice(at) };
}

function zeroOf(type) {
  if (type === 'v128') return ['v128.const', 'i32x4', '0', '0', '0', '0'];
  return [`${type}.const`, '0'];
}

function rename(node, names) {
  if (!isList(node)) return names.get(node) ?? node;
  return node.map((child) => rename(child, names));
}

function contains(node, predicate) {
  if (predicate(node)) return true;
  return isList(node) && node.some((child) => contains(child, predicate));
}

/** The text with every helper inlined and the helpers removed. */
export function inlineHelpers(text) {
  const module = parse(tokenize(text));
  if (headOf(module) !== 'module') throw new Error('expected a module');
  const funcs = module.filter((node) => headOf(node) === 'func');
  const helpers = new Map();
  for (const func of funcs) {
    const f = describeFunc(func);
    if (f.name !== undefined && !f.exported) helpers.set(f.name, f);
  }
  for (const [name, helper] of helpers) {
    if (helper.body.some((node) => contains(node, (n) => n === 'return'))) throw new Error(`${name}: an inlined helper may not return early`);
    if (helper.body.some((node) => contains(node, (n) => isList(n) && n[0] === 'call' && n[1] === name))) throw new Error(`${name}: an inlined helper may not call itself`);
  }
  let site = 0;
  const inlineInto = (func) => {
    const added = [];
    const expand = (node, depth) => {
      if (!isList(node)) return node;
      if (node[0] === 'call' && helpers.has(node[1])) {
        if (depth > 16) throw new Error(`${node[1]}: helpers nested too deep`);
        const helper = helpers.get(node[1]);
        const args = node.slice(2);
        if (args.length !== helper.params.length) throw new Error(`${node[1]}: called with ${args.length} arguments, takes ${helper.params.length}`);
        const tag = `${helper.name}~${++site}`;
        const names = new Map([...helper.params, ...helper.locals].map((v) => [v.name, `${tag}~${v.name.slice(1)}`]));
        for (const v of [...helper.params, ...helper.locals]) added.push(['local', names.get(v.name), v.type]);
        const block = ['block'];
        if (helper.results.length > 0) block.push(['result', ...helper.results]);
        helper.params.forEach((p, i) => block.push(['local.set', names.get(p.name), expand(args[i], depth)]));
        for (const v of helper.locals) block.push(['local.set', names.get(v.name), zeroOf(v.type)]);
        for (const part of helper.body) block.push(expand(rename(part, names), depth + 1));
        return block;
      }
      if (node.includes('call') && node.some((child, i) => child === 'call' && helpers.has(node[i + 1]))) {
        throw new Error('helpers are inlined only from folded calls: (call $helper args)');
      }
      return node.map((child) => expand(child, depth));
    };
    const f = describeFunc(func);
    const body = f.body.map((node) => expand(node, 0));
    return [...func.slice(0, f.headerLength), ...added, ...body];
  };
  const out = module.filter((node) => !(headOf(node) === 'func' && helpers.has(describeFunc(node).name))).map((node) => (headOf(node) === 'func' ? inlineInto(node) : node));
  return print(out);
}
