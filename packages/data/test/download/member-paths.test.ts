import { describe, expect, it } from 'vitest';
import { globToRegExp, memberMatcher, normalizeMemberPath } from '../../src/download/member-paths.js';

describe('member globs', () => {
  const cases: [string, string, boolean][] = [
    ['**/listops-1000/basic_*.tsv', 'lra_release/listops-1000/basic_train.tsv', true],
    ['**/listops-1000/basic_*.tsv', 'lra_release/lra_release/listops-1000/basic_val.tsv', true],
    ['**/listops-1000/basic_*.tsv', 'listops-1000/basic_test.tsv', true],
    ['**/listops-1000/basic_*.tsv', 'lra_release/listops-1000/sub/basic_train.tsv', false],
    ['**/listops-1000/basic_*.tsv', 'lra_release/listops-1000/basic_train.tsv.bak', false],
    ['**/listops-1000/basic_*.tsv', 'lra_release/listops-10000/basic_train.tsv', false],
    ['**/pathfinder32/curv_contour_length_14/**', 'lra_release/lra_release/pathfinder32/curv_contour_length_14/imgs/0/sample_1.png', true],
    ['**/pathfinder32/curv_contour_length_14/**', 'lra_release/pathfinder32/curv_baseline/imgs/0/sample_1.png', false],
    ['aclImdb/train/pos/*.txt', 'aclImdb/train/pos/0_9.txt', true],
    ['aclImdb/train/pos/*.txt', 'aclImdb/train/unsup/0_0.txt', false],
    ['cifar-10-batches-bin/data_batch_?.bin', 'cifar-10-batches-bin/data_batch_5.bin', true],
    ['cifar-10-batches-bin/data_batch_?.bin', 'cifar-10-batches-bin/data_batch_10.bin', false],
    ['a.b/', 'a.b/x/y', true],
    ['a.b/', 'aXb/x', false],
  ];
  it.each(cases)('%s against %s is %s', (pattern, path, expected) => {
    expect(globToRegExp(pattern).test(path)).toBe(expected);
  });

  it('selects everything without patterns, and any of several patterns', () => {
    expect(memberMatcher(undefined)('anything/at/all')).toBe(true);
    const m = memberMatcher(['x/*.a', 'y/*.b']);
    expect([m('x/1.a'), m('y/1.b'), m('x/1.b')]).toEqual([true, true, false]);
  });
});

describe('normalizeMemberPath', () => {
  it('drops ./ prefixes, empty segments and trailing slashes', () => {
    expect(normalizeMemberPath('./lra_release//listops-1000/')).toBe('lra_release/listops-1000');
    expect(normalizeMemberPath('./')).toBeNull();
  });
  it.each([
    ['../evil.txt', '".." in path'],
    ['a/../../evil.txt', '".." in path'],
    ['/etc/passwd', 'absolute path'],
    ['C:/Windows/x', 'drive-letter path'],
    ['a\\..\\..\\x', 'backslash in path'],
  ])('refuses %s (%s)', (path, reason) => {
    expect(() => normalizeMemberPath(path)).toThrow(reason);
  });
});
