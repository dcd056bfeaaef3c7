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

/** A token's bytes packed big-endian into a number (exact up to 6 bytes). */
function code(token: string): number {
  let c = 0;
  for (const ch of token) c = c * 256 + ch.charCodeAt(0);
  return c;
}

const CODE_X = LETTER_X;
const CODE_MIN = code('[MIN');
const CODE_MAX = code('[MAX');
const CODE_MED = code('[MED');
const CODE_SM = code('[SM');

/** ASCII whitespace or a parenthesis: both end a token (parentheses are deleted before splitting). */
function isSeparator(b: number): boolean {
  return b === 32 || (b >= 9 && b <= 13) || b === OPEN_PAREN || b === CLOSE_PAREN;
}

function tokenIdOf(length: number, packed: number): number {
  if (length === 1) {
    if (packed >= DIGIT_ZERO && packed <= DIGIT_ZERO + 9) return LISTOPS_DIGIT_0 + (packed - DIGIT_ZERO);
    if (packed === CODE_X) return LISTOPS_END;
  } else if (length === 4) {
    if (packed === CODE_MAX) return LISTOPS_MAX;
    if (packed === CODE_MIN) return LISTOPS_MIN;
    if (packed === CODE_MED) return LISTOPS_MED;
  } else if (length === 3 && packed === CODE_SM) {
    return LISTOPS_SM;
  }
  return -1;
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
    let tokenLength = 0;
    let tokenStart = start;
    let packed = 0;

    // One step past the end acts as a separator, so the last token is handled like any other.
    for (let i = start; i <= end; i++) {
      const b = i < end ? bytes[i]! : 32;
      if (!isSeparator(b)) {
        if (tokenLength++ === 0) tokenStart = i;
        if (tokenLength <= 6) packed = packed * 256 + (b === CLOSE_BRACKET ? LETTER_X : b);
        continue;
      }
      if (tokenLength > 0) {
        const id = tokenLength <= 4 ? tokenIdOf(tokenLength, packed) : -1;
        if (id < 0) return this.fail(`unknown token "${this.tokenText(bytes, tokenStart, end)}"`);
        tokenLength = 0;
        packed = 0;
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
      if (b === OPEN_PAREN) {
        parenDepth++;
      } else if (b === CLOSE_PAREN && --parenDepth < 0) {
        return this.fail("unbalanced parentheses: ')' without a matching '('");
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
