import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deepMerge } from '../../src/config/merge.js';
import { resolveConfig } from '../../src/config/resolve.js';
import { configToSets, expandSweep, runAt, runIndex, sweepSize } from '../../src/sweep/expand.js';
import { spec } from './helpers.js';

const three = () =>
  spec({
    tasks: ['listops', 'text'],
    mixers: ['attention', 'fnet', 'gfnet'],
    seeds: [3, 1],
    overrides: [{ name: 'base' }, { name: 'lr', set: ['train.lr=0.01'] }],
  });

describe('sweep expansion', () => {
  it('orders runs tasks, then mixers, then override sets, then seeds, with ids that are their folders', () => {
    const runs = expandSweep(spec());
    expect(runs.map((r) => r.id)).toEqual(['listops/attention/base/s1', 'listops/attention/base/s2', 'listops/fnet/base/s1', 'listops/fnet/base/s2']);
    expect(runs.map((r) => r.index)).toEqual([0, 1, 2, 3]);
    expect(runs[3]!.out).toBe(join('results/x', 'listops', 'fnet', 'base', 's2'));
    expect(expandSweep(spec(), { root: '/shared/r' })[1]!.out).toBe('/shared/r/listops/attention/base/s2');
  });

  it('keeps the order the file lists (seeds 3 before 1) and counts every combination', () => {
    const s = three();
    const runs = expandSweep(s);
    expect(sweepSize(s)).toBe(2 * 3 * 2 * 2);
    expect(runs).toHaveLength(24);
    expect(runs.slice(0, 4).map((r) => r.id)).toEqual(['listops/attention/base/s3', 'listops/attention/base/s1', 'listops/attention/lr/s3', 'listops/attention/lr/s1']);
    expect(runs[23]!.id).toBe('text/gfnet/lr/s1');
    expect(new Set(runs.map((r) => r.out)).size).toBe(24);
  });

  it('maps index to run by the documented formula, and runAt(i) is the i-th run of the expansion', () => {
    const s = three();
    const runs = expandSweep(s);
    const mixers = ['attention', 'fnet', 'gfnet'];
    const overrides = ['base', 'lr'];
    s.tasks.forEach((task, t) =>
      mixers.forEach((mixer, m) =>
        overrides.forEach((override, o) =>
          s.seeds.forEach((seed, si) => {
            // The documented formula of the mixers form: i = ((t * M + m) * O + o) * S + s.
            const i = ((t * 3 + m) * 2 + o) * 2 + si;
            expect(runIndex(s, t, m * 2 + o, si)).toBe(i);
            expect(runs[i]).toMatchObject({ task, mixer, override, seed, index: i, axes: null, anchor: false });
          }),
        ),
      ),
    );
    for (let i = 0; i < runs.length; i++) expect(runAt(s, i, { root: '/r', dataDir: '/d' })).toEqual(expandSweep(s, { root: '/r', dataDir: '/d' })[i]);
    expect(() => runAt(s, 24)).toThrow('run index 24 is outside the sweep (0 to 23)');
    expect(() => runAt(s, -1)).toThrow(RangeError);
  });

  it('passes the file flags and the override set to the run request', () => {
    const s = spec({ steps: 7, backend: 'wasm', dataDir: '/data', overrides: [{ name: 'o', config: { train: { lr: 0.5 } }, set: ['train.lr=0.25'] }] });
    expect(expandSweep(s)[0]!.request).toEqual({
      task: 'listops',
      mixer: 'attention',
      preset: 'tiny',
      seed: 1,
      out: join('results/x', 'listops/attention/o/s1'),
      steps: 7,
      backend: 'wasm',
      dataDir: '/data',
      sets: ['train.lr=0.5', 'train.lr=0.25'],
    });
    expect(expandSweep(s, { dataDir: '/other' })[0]!.request.dataDir).toBe('/other');
  });

  it('turns a partial config into --set assignments that resolve to the same config as merging it', () => {
    const partial = {
      model: { dropout: 0, block: 'post-ln', mixerOptions: { window: 8, nested: { a: [1, 2] } } },
      data: { generator: null },
      train: { lr: 0.003, gradClipNorm: 1, schedule: 'cosine' },
    };
    const sets = configToSets(partial);
    expect(sets).toContain('model.mixerOptions.window=8');
    expect(sets).toContain('data.generator=null');
    // (The default run folder names the changes; a sweep gives every run its own --out.)
    const viaSets = resolveConfig({ task: 'listops', mixer: 'attention', preset: 'tiny', sets, out: 'runs/x' }).config;
    const plain = resolveConfig({ task: 'listops', mixer: 'attention', preset: 'tiny', out: 'runs/x' }).config;
    expect(viaSets).toEqual(deepMerge(plain, partial));
  });
});
