import { describe, expect, it } from 'vitest';
import { toYaml, toYamlDocuments } from '../../src/sweep/yaml.js';
import { readYamlDocuments } from './yaml-reader.js';

describe('the manifest YAML writer', () => {
  it('writes strings that read back as the same strings, never as numbers, booleans, null or comments', () => {
    const tricky = ['yes', 'no', 'on', 'null', '~', '1', '0x10', '1e3', '', ' lead', 'trail ', '# not a comment', 'a: b', '- item', '[1]', '{a}', '"q"', "it's", 'back\\slash', 'line\nbreak\ttab', 'ünïcode ✓', 'del\u007fc1\u0085', '$(JOB_COMPLETION_INDEX)'];
    const value = { list: tricky, map: Object.fromEntries(tricky.map((s, i) => [`k${i}`, s])) };
    expect(readYamlDocuments(toYaml(value))).toEqual([value]);
  });

  it('quotes keys that are not plain, keeps numbers, booleans, null and empty collections', () => {
    const value = { 'app.kubernetes.io/name': 'lra', 'sweep.json': '{}', yes: 1, 'has space': true, n: null, x: -2.5e-3, empty: [], none: {}, nested: [[1, 2], [{ a: 1, b: [] }]] };
    const text = toYaml(value);
    expect(text).toContain('app.kubernetes.io/name: "lra"\n');
    expect(text).toContain('"yes": 1\n');
    expect(text).toContain('"has space": true\n');
    expect(readYamlDocuments(text)).toEqual([value]);
  });

  it('writes several documents separated by ---', () => {
    const docs = [{ kind: 'ConfigMap', data: { a: 'b' } }, { kind: 'Job', spec: { completions: 3, list: [{ name: 'c', value: '1' }] } }];
    const text = toYamlDocuments(docs);
    expect(text.startsWith('---\nkind: "ConfigMap"\n')).toBe(true);
    expect(readYamlDocuments(text)).toEqual(docs);
  });

  it('refuses numbers YAML cannot hold', () => {
    expect(() => toYaml({ a: Number.NaN })).toThrow('cannot write NaN to a manifest');
  });
});
