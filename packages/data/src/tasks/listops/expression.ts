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

const SPACE = 32;
const OPEN_PAREN = 40;
const CLOSE_PAREN = 41;
const CLOSE_BRACKET = 93; // `]`, which the official preprocessing renames to X
const LETTER_X = 88;
const DIGIT_ZERO = 48;
const MAX_TOKEN_BYTES = 48; // longer tokens are unknown anyway; kept only for the message

function isWhitespace(b: number): boolean {
  return b === SPACE || (b >= 9 && b <= 13);
}

/**
 * Tokenizes and evaluates one ListOps source in a single pass over its UTF-8 bytes, exactly as
 * the official preprocessing sees it (`]` -> X, `(` and `)` deleted, split on whitespace), with
 * the operators evaluated on a stack as their X closes them. It reuses its buffers across calls:
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
  private readonly tokenBytes = new Uint8Array(MAX_TOKEN_BYTES);

  /** Parses `bytes[start..end)`; false (with `error` set) when it is not one valid expression. */
  parse(bytes: Uint8Array, start = 0, end = bytes.length): boolean {
    this.ensureCapacity(end - start + 1);
    this.length = 0;
    this.value = -1;
    this.error = '';
    let parenDepth = 0;
    let tokenLength = 0;
    let frames = 0;
    let top = 0; // values stack size
    let roots = 0;
    let root = -1;
    const { tokens, values, frameStart, frameOp, tokenBytes } = this;

    // Finishes the pending token; returns false on a syntax error.
    const endToken = (): boolean => {
      const id = this.classify(tokenLength);
      tokenLength = 0;
      if (id < 0) return false;
      tokens[this.length++] = id;
      if (id < LISTOPS_MIN) {
        const digit = id - LISTOPS_DIGIT_0;
        if (frames > 0) {
          values[top++] = digit;
          return true;
        }
        root = digit;
        return ++roots === 1 || this.fail('more than one top-level expression');
      }
      if (id !== LISTOPS_END) {
        if (frames === 0 && roots > 0) return this.fail('more than one top-level expression');
        frameStart[frames] = top;
        frameOp[frames++] = id;
        return true;
      }
      if (frames === 0) return this.fail("unbalanced brackets: ']' without an open operator");
      const op = frameOp[--frames]!;
      const first = frameStart[frames]!;
      if (top === first) return this.fail(`operator ${listopsVocabulary[op]} has no arguments`);
      const v = applyListOpsOperator(op, values, first, top);
      top = first;
      if (frames > 0) {
        values[top++] = v;
        return true;
      }
      root = v;
      return ++roots === 1 || this.fail('more than one top-level expression');
    };

    for (let i = start; i < end; i++) {
      const b = bytes[i]!;
      if (isWhitespace(b)) {
        if (tokenLength > 0 && !endToken()) return false;
      } else if (b === OPEN_PAREN) {
        parenDepth++;
      } else if (b === CLOSE_PAREN) {
        if (--parenDepth < 0) return this.fail("unbalanced parentheses: ')' without a matching '('");
      } else {
        if (tokenLength < MAX_TOKEN_BYTES) tokenBytes[tokenLength] = b === CLOSE_BRACKET ? LETTER_X : b;
        tokenLength++;
      }
    }
    if (tokenLength > 0 && !endToken()) return false;
    if (parenDepth > 0) return this.fail(`unbalanced parentheses: ${parenDepth} '(' not closed`);
    if (frames > 0) {
      return this.fail(`unbalanced brackets: ${frames} operator${frames === 1 ? '' : 's'} not closed`);
    }
    if (roots === 0) return this.fail('empty expression');
    this.value = root;
    return true;
  }

  private fail(reason: string): false {
    this.error = reason;
    return false;
  }

  /** The id of the pending token, or -1 (with `error` set) for a token outside the vocabulary. */
  private classify(n: number): number {
    const t = this.tokenBytes;
    if (n === 1) {
      const b = t[0]!;
      if (b >= DIGIT_ZERO && b <= DIGIT_ZERO + 9) return LISTOPS_DIGIT_0 + (b - DIGIT_ZERO);
      if (b === LETTER_X) return LISTOPS_END;
    } else if (n === 3) {
      if (t[0] === 91 && t[1] === 83 && t[2] === 77) return LISTOPS_SM; // [SM
    } else if (n === 4 && t[0] === 91 && t[1] === 77) {
      if (t[2] === 73 && t[3] === 78) return LISTOPS_MIN; // [MIN
      if (t[2] === 65 && t[3] === 88) return LISTOPS_MAX; // [MAX
      if (t[2] === 69 && t[3] === 68) return LISTOPS_MED; // [MED
    }
    const shown = Buffer.from(t.subarray(0, Math.min(n, MAX_TOKEN_BYTES))).toString('utf8');
    this.error = `unknown token "${shown}${n > MAX_TOKEN_BYTES ? '...' : ''}"`;
    return -1;
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
