import { describe, expect, it } from 'vitest';
import { evaluateListOps, tokenizeListOps } from '../../../src/tasks/listops/expression.js';
import {
  LISTOPS_MED,
  LISTOPS_OOV,
  LISTOPS_VOCAB_SIZE,
  applyListOpsOperator,
  listopsTokenId,
  listopsVocabulary,
} from '../../../src/tasks/listops/vocab.js';
import { official, preprocessedTokens, value, type Expr } from './official-format.js';

/** Expressions with their values worked out by hand (comments show the working). */
const handWorked: Array<[Expr, number]> = [
  [['[MAX', 4, 3], 4],
  [['[SM', 9, 8, 7], 4], // 24 mod 10
  [['[MED', 1, 2], 1], // median 1.5, truncated
  [['[MED', 3, 8], 5], // 5.5
  [['[MED', 9, 0, 4, 7], 5], // sorted 0 4 7 9: (4 + 7) / 2 = 5.5
  [['[MED', 0, 1], 0], // 0.5
  [['[MED', 2, 9, 4], 4],
  [['[MIN', 6], 6], // one argument is valid ListOps
  [['[MIN', 7, ['[MAX', 2, 5], 6], 5],
  [['[SM', ['[MED', 1, 2], ['[MIN', 9, 8], ['[MAX', 0, 0]], 9], // 1 + 8 + 0
  [['[MED', ['[SM', 5, 6], ['[MAX', 3, 9], ['[MIN', 4, 6], ['[SM', 9, 9]], 6], // 1 9 4 8 -> (4 + 8) / 2
  [['[MAX', ['[MED', 8, 6], ['[SM', 7, 7, 7]], 7], // MED 7, SM 1
  [['[MED', 5, 5, 6, 6, 7, 9], 6], // middle pair 6 6
  [['[MED', 8, 9, 9, 8], 8], // 8.5
];

describe('ListOps vocabulary', () => {
  it('has padding, the 15 tokens in the documented order, and an OOV id', () => {
    expect(listopsVocabulary).toEqual(['<pad>', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '[MIN', '[MAX', '[MED', '[SM', 'X', '<oov>']);
    expect(LISTOPS_VOCAB_SIZE).toBe(17);
    expect(listopsTokenId('0')).toBe(1);
    expect(listopsTokenId('9')).toBe(10);
    expect(listopsTokenId('[SM')).toBe(14);
    expect(listopsTokenId('X')).toBe(15);
    expect(listopsTokenId('[FIRST')).toBe(LISTOPS_OOV);
    expect(listopsTokenId('<pad>')).toBe(LISTOPS_OOV);
  });

  it('computes MED as int(numpy.median), the mean of the middle pair truncated for even counts', () => {
    expect(applyListOpsOperator(LISTOPS_MED, [1, 2])).toBe(1);
    expect(applyListOpsOperator(LISTOPS_MED, [7, 2, 9, 4])).toBe(5); // (4 + 7) / 2
    expect(applyListOpsOperator(LISTOPS_MED, [0, 0, 9, 9])).toBe(4);
    expect(applyListOpsOperator(LISTOPS_MED, [3])).toBe(3);
    expect(applyListOpsOperator(LISTOPS_MED, [5, 1, 3, 3, 8])).toBe(3);
    expect(applyListOpsOperator(LISTOPS_MED, [9, 9, 1, 2, 9, 9], 2, 4)).toBe(1); // the range [2, 4)
  });
});

describe('tokenizeListOps / evaluateListOps', () => {
  it('tokenizes the example from LRA into [MAX 4 3 X', () => {
    expect(tokenizeListOps('( ( ( [MAX 4 ) 3 ) ] )')).toEqual(Int32Array.from([12, 5, 4, 15]));
    expect(evaluateListOps('( ( ( [MAX 4 ) 3 ) ] )')).toBe(4);
  });

  it.each(handWorked.map(([e, v]) => [official(e), v, e] as const))('%s = %i', (text, expected, e) => {
    expect(value(e)).toBe(expected); // the test's own model agrees with the hand working
    expect(evaluateListOps(text)).toBe(expected);
    expect(Array.from(tokenizeListOps(text))).toEqual(preprocessedTokens(e).map(listopsTokenId));
  });

  it('follows the official preprocessing: parentheses deleted, ] renamed X, any whitespace', () => {
    expect(Array.from(tokenizeListOps('[MAX(4)\t3\n]'))).toEqual([12, 5, 4, 15]);
    expect(evaluateListOps('[MIN 7 3 X')).toBe(3); // a literal X is the same token as ]
  });

  it.each([
    ['', 'empty expression'],
    ['( )', 'empty expression'],
    ['( ( [MIN 4 ) 5 )', 'unbalanced brackets: 1 operator not closed'],
    ['[MIN [MAX 4', 'unbalanced brackets: 2 operators not closed'],
    ['( ( ( [MAX 4 ) 3 ) ] ) ] )', "unbalanced brackets: ']' without an open operator"],
    ['( ( [FIRST 4 ) ] )', 'unknown token "[FIRST"'],
    ['[MAX 10 ]', 'unknown token "10"'],
    ['[MAX 4 3]', 'unknown token "3X"'],
    ['( [MAX ] )', 'operator [MAX has no arguments'],
    ['( ( ( [MAX 4 ) 3 ) ]', "unbalanced parentheses: 1 '(' not closed"],
    ['[MAX 4 ) ]', "unbalanced parentheses: ')' without a matching '('"],
    ['4 5', 'more than one top-level expression'],
    ['[MAX 4 ] [MIN 3 ]', 'more than one top-level expression'],
  ])('rejects %j: %s', (text, reason) => {
    expect(() => evaluateListOps(text)).toThrow(new Error(reason));
  });
});
