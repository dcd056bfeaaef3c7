import { describe, expect, it } from 'vitest';
import { configHash, experimentSettings, flattenConfig } from '../../src/report/config-hash.js';
import { config } from './fixtures.js';

describe('configHash', () => {
  it('is the same for seeds of one experiment run anywhere, on any backend', () => {
    const a = configHash(config({ seed: 1 }));
    expect(configHash(config({ seed: 7, out: '/shared/results/x', backend: 'cpu', dataDir: '/mnt/data' }))).toBe(a);
  });

  it('changes with any setting that changes what is trained, and with the data variant', () => {
    const a = configHash(config());
    expect(configHash(config({ lr: 0.001 }))).not.toBe(a);
    expect(configHash(config({ preset: 'small' }))).not.toBe(a);
    expect(configHash(config({ mixer: 'fnet' }))).not.toBe(a);
    expect(configHash(config(), 'release-1')).not.toBe(configHash(config(), 'release-2'));
  });

  it('does not depend on key order', () => {
    const c = config();
    const reordered = JSON.parse(JSON.stringify({ train: c.train, out: c.out, model: c.model, data: c.data, ...c }));
    expect(configHash(reordered)).toBe(configHash(c));
  });

  it('flattens to dotted keys and drops only the ignored ones', () => {
    expect(flattenConfig({ a: { b: 1, c: [1, 2] }, d: 'x', e: {} })).toEqual({ 'a.b': 1, 'a.c': [1, 2], d: 'x', e: {} });
    const s = experimentSettings(config(), 'v1');
    expect(s['train.lr']).toBe(0.05);
    expect(s['data.variant']).toBe('v1');
    for (const k of ['seed', 'out', 'backend', 'data.dataDir', 'data.source']) expect(k in s).toBe(false);
  });
});
