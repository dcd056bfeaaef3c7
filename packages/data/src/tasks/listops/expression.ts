import {
  LISTOPS_DIGIT_0,
  LISTOPS_END,
  LISTOPS_MAX,
  LISTOPS_MED,
  LISTOPS_MIN,
  LISTOPS_SM,
  applyListOpsOperator,
  listopsVocabulary,
} from './vocab.js';

const OPEN_PAREN = 40;
const CLOSE_PAREN = 41;
const CLOSE_BRACKET = 93; // `]`, which the official preprocessing renames to X
const LETTER_X = 88;
const DIGIT_ZERO = 48;
const SHOWN_TOKEN_BYTES = 48;

const LETTER_M = 77;
const SPACE = 32;
const OPEN_BRACKET = 91;

/** What a byte is to the tokenizer: part of a token, whitespace, or a parenthesis. */
const TOKEN_BYTE = 0;
const SPACE_BYTE = 1;
const OPEN_BYTE = 2;
const CLOSE_BYTE = 3;

/** Parentheses end a token like whitespace does (they are deleted before splitting). */
const byteClass = new Uint8Array(256);
for (const b of [9, 10, 11, 12, 13, 32]) byteClass[b] = SPACE_BYTE;
byteClass[OPEN_PAREN] = OPEN_BYTE;
byteClass[CLOSE_PAREN] = CLOSE_BYTE;

/** A byte as the official preprocessing sees it: `]` renamed to X. */
function preprocessed(b: number): number {
  return b === CLOSE_BRACKET ? LETTER_X : b;
}

/** The id of the token `bytes[from..to)`, or -1 when it is not in the vocabulary. */
function tokenIdAt(bytes: Uint8Array, from: number, to: number): number {
  const length = to - from;
  const b0 = preprocessed(bytes[from]!);
  if (length === 1) {
    if (b0 >= DIGIT_ZERO && b0 <= DIGIT_ZERO + 9) return LISTOPS_DIGIT_0 + (b0 - DIGIT_ZERO);
    return b0 === LETTER_X ? LISTOPS_END : -1;
  }
  if (b0 !== OPEN_BRACKET || (length !== 3 && length !== 4)) return -1;
  const b1 = preprocessed(bytes[from + 1]!);
  const b2 = preprocessed(bytes[from + 2]!);
  if (length === 3) return b1 === 83 && b2 === LETTER_M ? LISTOPS_SM : -1; // [SM
  if (b1 !== LETTER_M) return -1;
  const b3 = preprocessed(bytes[from + 3]!);
  if (b2 === 73 && b3 === 78) return LISTOPS_MIN; // [MIN
  if (b2 === 65 && b3 === LETTER_X) return LISTOPS_MAX; // [MAX
  if (b2 === 69 && b3 === 68) return LISTOPS_MED; // [MED
  return -1;
}

/** ASCII whitespace or a parenthesis: both end a token (parentheses are deleted before splitting). */
function isSeparator(b: number): boolean {
  return byteClass[b] !== TOKEN_BYTE;
}

/**
 * Tokenizes and evaluates one ListOps source in a single pass over its UTF-8 bytes, exactly as
 * the official preprocessing sees it (`]` -> X, `(` and `)` deleted, split on whitespace), with
 * each operator evaluated on a stack when its X closes it. It reuses its buffers across calls:
 * read `tokens.subarray(0, length)` before the next `parse`.
 */
export class ListOpsExpressionParser {
  tokens = new Int32Array(4096);
  /** Number of tokens of the last parsed source. */
  length = 0;
  /** Value of the last parsed source (valid when `parse` returned true). */
  value = -1;
  /** Why the last source did not parse (valid when `parse` returned false). */
  error = '';

  private values = new Int32Array(4096);
  private frameStart = new Int32Array(4096);
  private frameOp = new Int32Array(4096);

  /** Parses `bytes[start..end)`; false (with `error` set) when it is not one valid expression. */
  parse(bytes: Uint8Array, start = 0, end = bytes.length): boolean {
    this.ensureCapacity(end - start + 1);
    const { tokens, values, frameStart, frameOp } = this;
    this.value = -1;
    this.error = '';
    let count = 0; // tokens
    let top = 0; // values on the stack
    let frames = 0; // open operators
    let roots = 0; // complete top-level expressions
    let root = -1;
    let parenDepth = 0;

    // Bytes are taken a run at a time: a run of token bytes is one token, and whitespace and
    // parentheses between tokens cost one table look-up each.
    let i = start;
    while (i < end) {
      const kind = byteClass[bytes[i]!]!;
      if (kind === SPACE_BYTE) {
        i++;
        continue;
      }
      // The official files put one space after every parenthesis and token: skipping it at
      // once halves the trips round this loop.
      if (kind === OPEN_BYTE) {
        parenDepth++;
        i += bytes[i + 1] === SPACE && i + 1 < end ? 2 : 1;
        continue;
      }
      if (kind === CLOSE_BYTE) {
        if (--parenDepth < 0) return this.fail("unbalanced parentheses: ')' without a matching '('");
        i += bytes[i + 1] === SPACE && i + 1 < end ? 2 : 1;
        continue;
      }
      const tokenStart = i;
      do i++;
      while (i < end && byteClass[bytes[i]!] === TOKEN_BYTE);
      const id = tokenIdAt(bytes, tokenStart, i);
      if (id < 0) return this.fail(`unknown token "${this.tokenText(bytes, tokenStart, end)}"`);
      tokens[count++] = id;
      let completed = -1; // a value that completes an argument or the whole expression
      if (id < LISTOPS_MIN) {
        completed = id - LISTOPS_DIGIT_0;
      } else if (id !== LISTOPS_END) {
        if (frames === 0 && roots > 0) return this.fail('more than one top-level expression');
        frameStart[frames] = top;
        frameOp[frames++] = id;
      } else {
        if (frames === 0) return this.fail("unbalanced brackets: ']' without an open operator");
        const op = frameOp[--frames]!;
        const first = frameStart[frames]!;
        if (top === first) return this.fail(`operator ${listopsVocabulary[op]} has no arguments`);
        completed = applyListOpsOperator(op, values, first, top);
        top = first;
      }
      if (completed >= 0) {
        if (frames > 0) {
          values[top++] = completed;
        } else {
          if (roots++ > 0) return this.fail('more than one top-level expression');
          root = completed;
        }
      }
    }
    this.length = count;
    if (parenDepth > 0) return this.fail(`unbalanced parentheses: ${parenDepth} '(' not closed`);
    if (frames > 0) return this.fail(`unbalanced brackets: ${frames} operator${frames === 1 ? '' : 's'} not closed`);
    if (roots === 0) return this.fail('empty expression');
    this.value = root;
    return true;
  }

  private fail(reason: string): false {
    this.error = reason;
    return false;
  }

  /** The preprocessed text of the token starting at `from`, for an error message. */
  private tokenText(bytes: Uint8Array, from: number, end: number): string {
    const kept: number[] = [];
    let i = from;
    for (; i < end && kept.length < SHOWN_TOKEN_BYTES; i++) {
      const b = bytes[i]!;
      if (b === OPEN_PAREN || b === CLOSE_PAREN) continue;
      if (isSeparator(b)) break;
      kept.push(b === CLOSE_BRACKET ? LETTER_X : b);
    }
    const more = i < end && !isSeparator(bytes[i]!) ? '...' : '';
    return Buffer.from(kept).toString('utf8') + more;
  }

  private ensureCapacity(n: number): void {
    if (this.tokens.length >= n) return;
    const size = Math.max(n, this.tokens.length * 2);
    this.tokens = new Int32Array(size);
    this.values = new Int32Array(size);
    this.frameStart = new Int32Array(size);
    this.frameOp = new Int32Array(size);
  }
}

/** Token ids of one ListOps source string; throws with the reason when it does not parse. */
export function tokenizeListOps(source: string): Int32Array {
  const parser = new ListOpsExpressionParser();
  if (!parser.parse(Buffer.from(source, 'utf8'))) throw new Error(parser.error);
  return parser.tokens.slice(0, parser.length);
}

/** Value (0..9) of one ListOps source string; throws with the reason when it does not parse. */
export function evaluateListOps(source: string): number {
  const parser = new ListOpsExpressionParser();
  if (!parser.parse(Buffer.from(source, 'utf8'))) throw new Error(parser.error);
  return parser.value;
}
