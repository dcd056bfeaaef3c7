/**
 * The ListOps vocabulary, fixed so that ids never depend on which rows a vocabulary was built
 * from (the official pipeline built it from the first rows of the training file):
 *
 *   0        padding
 *   1..10    the digits 0..9 (id = digit + 1)
 *   11..14   [MIN, [MAX, [MED, [SM
 *   15       X (the closing bracket `]`, renamed by the official preprocessing)
 *   16       out of vocabulary (reserved: the reader rejects unknown tokens instead of mapping them)
 */
export const LISTOPS_PAD = 0;
export const LISTOPS_DIGIT_0 = 1;
export const LISTOPS_MIN = 11;
export const LISTOPS_MAX = 12;
export const LISTOPS_MED = 13;
export const LISTOPS_SM = 14;
export const LISTOPS_END = 15;
export const LISTOPS_OOV = 16;
export const LISTOPS_VOCAB_SIZE = 17;
export const LISTOPS_VOCAB_VERSION = 'listops-v1';

/** Token strings by id (after preprocessing; id 0 and the OOV id have no source text). */
export const listopsVocabulary: readonly string[] = [
  '<pad>', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9',
  '[MIN', '[MAX', '[MED', '[SM', 'X', '<oov>',
];

export type ListOpsOperator = '[MIN' | '[MAX' | '[MED' | '[SM';

/** Operators in the order of their ids (and of the generator's random choice, as in LRA). */
export const listopsOperators: readonly ListOpsOperator[] = ['[MIN', '[MAX', '[MED', '[SM'];

/** Id of a preprocessed token; the OOV id for anything outside the vocabulary. */
export function listopsTokenId(token: string): number {
  const id = listopsVocabulary.indexOf(token);
  return id <= LISTOPS_PAD || id === LISTOPS_OOV ? LISTOPS_OOV : id;
}

/**
 * ListOps semantics (LRA's to_value) on `args[start..end)`, a non-empty list of digits:
 * MIN, MAX, MED = int(numpy.median), SM = sum mod 10.
 */
export function applyListOpsOperator(
  opId: number,
  args: ArrayLike<number>,
  start = 0,
  end = args.length,
): number {
  switch (opId) {
    case LISTOPS_MIN: {
      let m = 9;
      for (let i = start; i < end; i++) if (args[i]! < m) m = args[i]!;
      return m;
    }
    case LISTOPS_MAX: {
      let m = 0;
      for (let i = start; i < end; i++) if (args[i]! > m) m = args[i]!;
      return m;
    }
    case LISTOPS_SM: {
      let s = 0;
      for (let i = start; i < end; i++) s += args[i]!;
      return s % 10;
    }
    case LISTOPS_MED:
      return medianOfDigits(args, start, end);
    default:
      throw new Error(`not a ListOps operator id: ${opId}`);
  }
}

const digitCounts = new Int32Array(10);

/**
 * int(numpy.median) of digits: the middle value for an odd count, the mean of the two middle
 * values for an even one, truncated. A counting sort, since the values are 0..9.
 */
function medianOfDigits(args: ArrayLike<number>, start: number, end: number): number {
  const n = end - start;
  // One table reused by every call: a fresh array per MED node was a measurable share of
  // preparing ListOps (garbage for every fourth operator of 96,000 trees).
  const counts = digitCounts.fill(0);
  for (let i = start; i < end; i++) counts[args[i]!]!++;
  const lowRank = (n - 1) >> 1; // 0-based ranks of the two middle values (equal when n is odd)
  const highRank = n >> 1;
  let low = -1;
  let high = -1;
  let seen = 0;
  for (let v = 0; v < 10 && high < 0; v++) {
    seen += counts[v]!;
    if (low < 0 && seen > lowRank) low = v;
    if (seen > highRank) high = v;
  }
  return Math.trunc((low + high) / 2);
}
