import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emitSweep } from '../../src/sweep/emit.js';
import { expandSweep, runAt, sweepSize } from '../../src/sweep/expand.js';
import { resolveRuns, SweepError } from '../../src/sweep/plan.js';
import { parseSweepSpec, readSweepFile } from '../../src/sweep/spec.js';
import { repoRoot } from '../../src/util/paths.js';

const ablation = (name: string) => readSweepFile(join(repoRoot(), 'experiments/ablations', name));

const mo = (options: Record<string, unknown>) => ({ model: { mixerOptions: options } });
const small = {
  tasks: ['listops'],
  seeds: [1, 2],
  preset: 'tiny',
  root: 'results/g',
  grid: {
    mixer: 'fftnet',
    axes: {
      filter: { none: mo({ filter: 'none' }), adaptive: mo({ filter: 'adaptive' }) },
      mask: { full: mo({ frequencyMask: 'full' }), lowpass25: mo({ frequencyMask: 'low-pass', maskFraction: 0.25 }) },
    },
  },
};
const parse = (over: Record<string, unknown>) => () => parseSweepSpec({ ...small, ...over }, 'ablations/g.json');
const gridWith = (over: Record<string, unknown>) => ({ grid: { ...small.grid, ...over } });

describe('grid sweeps', () => {
  it('expands the ListOps ablation to 36 FFTNet variants and the FNet and GFNet anchors: 38 per seed', () => {
    const { spec } = ablation('listops.json');
    expect(spec.variants).toHaveLength(38);
    expect(spec.seeds).toEqual([1, 2, 3]);
    expect(sweepSize(spec)).toBe(38 * 3);
    const ids = spec.variants.map((v) => `${v.mixer}/${v.override.name}`);
    expect(new Set(ids).size).toBe(38);
    // Anchors first, then the cross product with the first axis slowest and the last fastest.
    expect(ids.slice(0, 6)).toEqual([
      'fnet/base',
      'gfnet/base',
      'fftnet/none-modrelu-full',
      'fftnet/none-modrelu-lowpass25',
      'fftnet/none-modrelu-highpass75',
      'fftnet/none-modrelu-band',
    ]);
    expect(ids).toContain('fftnet/adaptive-modrelu-lowpass25');
    expect(ids).toContain('fftnet/static-gelu-magnitude-band');
    expect(ids[37]).toBe('fftnet/adaptive-none-band');
    expect(spec.variants.filter((v) => v.anchor).map((v) => v.mixer)).toEqual(['fnet', 'gfnet']);
    expect(spec.variants[2]!.axes).toEqual({ filter: 'none', activation: 'modrelu', mask: 'full' });
    expect(spec.grid!.axes.map((a) => [a.name, a.values.map((v) => v.name)])).toEqual([
      ['filter', ['none', 'static', 'adaptive']],
      ['activation', ['modrelu', 'gelu-magnitude', 'none']],
      ['mask', ['full', 'lowpass25', 'highpass75', 'band']],
    ]);
    expect(ablation('image.json').spec.variants.map((v) => v.override.name)).toEqual(spec.variants.map((v) => v.override.name));
  });

  it('merges the sweep config, the grid config and one fragment per axis into each run', () => {
    const runs = expandSweep(ablation('listops-tiny.json').spec, { root: '/r' });
    expect(runs).toHaveLength(76);
    const resolved = new Map(resolveRuns(runs).map(({ run, config }) => [run.id, config]));
    const lowpass = resolved.get('listops/fftnet/adaptive-modrelu-lowpass25/s2')!;
    expect(lowpass.model.mixerOptions).toEqual({ variant: 'modrelu-177799f', filter: 'adaptive', activation: 'modrelu', frequencyMask: 'low-pass', maskFraction: 0.25 });
    expect(lowpass).toMatchObject({ mixer: 'fftnet', seed: 2, preset: 'tiny', out: '/r/listops/fftnet/adaptive-modrelu-lowpass25/s2' });
    // The sweep-wide config reaches every run, anchors included; the preset fills the rest.
    for (const c of resolved.values()) {
      expect(c.model).toMatchObject({ dModel: 32, heads: 2, layers: 1, mlpDim: 64 });
      expect(c.train).toMatchObject({ steps: 150, warmup: 40, evalEvery: 50, evalBatches: 4, batchSize: 32 });
    }
    expect(resolved.get('listops/fftnet/static-none-band/s1')!.model.mixerOptions).toEqual({
      variant: 'modrelu-177799f',
      filter: 'static',
      activation: 'none',
      frequencyMask: 'band',
      bandLow: 0.25,
      bandHigh: 0.75,
    });
    expect(resolved.get('listops/fftnet/none-gelu-magnitude-highpass75/s1')!.model.mixerOptions).toMatchObject({ filter: 'none', activation: 'gelu-magnitude', frequencyMask: 'high-pass', maskFraction: 0.75 });
    expect(resolved.get('listops/fnet/base/s1')!.model.mixerOptions).toEqual({});
    const anchor = runs.find((r) => r.id === 'listops/gfnet/base/s2')!;
    expect(anchor).toMatchObject({ anchor: true, axes: null, override: 'base' });
    expect(runs.find((r) => r.id === 'listops/fftnet/none-none-full/s1')).toMatchObject({ anchor: false, axes: { filter: 'none', activation: 'none', mask: 'full' } });
    for (let i = 0; i < runs.length; i += 7) expect(runAt(ablation('listops-tiny.json').spec, i, { root: '/r' })).toEqual(runs[i]);
  });

  it('emits the grid as a cluster job of one task per run', () => {
    const file = ablation('listops.json');
    expect(emitSweep(file, 'slurm', { workers: 8 })).toContain('#SBATCH --array=0-113%8');
    const job = JSON.parse(emitSweep(file, 'k8s', { json: true, workers: 4 })).items.find((d: { kind: string }) => d.kind === 'Job');
    expect(job.spec).toMatchObject({ completions: 114, parallelism: 4, completionMode: 'Indexed' });
  });

  it('takes anchors as objects with their own name and overrides', () => {
    const s = parseSweepSpec({ ...small, anchors: ['fnet', { mixer: 'attention', name: 'no-dropout', config: { model: { dropout: 0 } }, set: ['train.lr=0.01'] }] }, 'g.json');
    expect(s.variants.map((v) => `${v.mixer}/${v.override.name}`)).toEqual([
      'fnet/base',
      'attention/no-dropout',
      'fftnet/none-full',
      'fftnet/none-lowpass25',
      'fftnet/adaptive-full',
      'fftnet/adaptive-lowpass25',
    ]);
    const runs = expandSweep(s);
    expect(runs.map((r) => r.id).slice(0, 3)).toEqual(['listops/fnet/base/s1', 'listops/fnet/base/s2', 'listops/attention/no-dropout/s1']);
    expect(runs[2]!.request.sets).toEqual(['model.dropout=0', 'train.lr=0.01']);
    expect(runs[0]!.request.sets).toBeUndefined();
  });

  it('refuses a model the mixer rejects before any work, naming the run', () => {
    const s = parseSweepSpec({ ...small, ...gridWith({ axes: { mask: { odd: mo({ frequencyMask: 'diagonal' }) } } }) }, 'g.json');
    expect(() => resolveRuns(expandSweep(s))).toThrow(SweepError);
    expect(() => resolveRuns(expandSweep(s))).toThrow(/run 0 \(listops\/fftnet\/odd\/s1\): .*frequencyMask.*"diagonal"/);
  });
});

describe('grid sweep file errors name the file and the key', () => {
  it('rejects unknown keys in the grid, an anchor and an axis fragment', () => {
    expect(parse(gridWith({ axis: {} }))).toThrow('ablations/g.json: grid.axis: unknown key (known here: mixer, config, axes)');
    expect(parse({ anchors: [{ mixer: 'fnet', seed: 3 }] })).toThrow('ablations/g.json: anchors[0].seed: unknown key (known here: mixer, name, config, set)');
    expect(parse(gridWith({ axes: { filter: { none: { model: { mixerOption: {} } } } } }))).toThrow('ablations/g.json: grid.axes.filter.none: model.mixerOption: unknown key');
    expect(parse(gridWith({ axes: { filter: { none: { seed: 4 } } } }))).toThrow('grid.axes.filter.none: task, mixer, seed and out are chosen by the sweep');
    expect(parse({ config: { train: { stepz: 1 } } })).toThrow('ablations/g.json: config: train.stepz: unknown key');
  });

  it('rejects empty axes, an axis without values and a missing mixer', () => {
    expect(parse(gridWith({ axes: {} }))).toThrow('ablations/g.json: grid.axes: must name at least one axis');
    expect(parse(gridWith({ axes: { filter: {} } }))).toThrow('ablations/g.json: grid.axes.filter: an axis needs at least one value');
    expect(parse(gridWith({ axes: { filter: [] } }))).toThrow('grid.axes.filter: expected an object of named config fragments');
    expect(parse({ grid: { axes: small.grid.axes } })).toThrow('ablations/g.json: grid.mixer: missing');
    expect(parse({ anchors: [] })).toThrow('ablations/g.json: anchors: must not be empty');
    expect(parse(gridWith({ axes: { 'a/b': { x: {} } } }))).toThrow("grid.axes.a/b: expected a name of letters, digits, '.', '_' or '-'");
  });

  it('rejects duplicate variant names, from the grid itself or an anchor', () => {
    // "a-b" + "c" and "a" + "b-c" both join to a-b-c.
    expect(parse(gridWith({ axes: { x: { 'a-b': {}, a: {} }, y: { c: {}, 'b-c': {} } } }))).toThrow(
      'ablations/g.json: grid.axes: two variants are both named fftnet/a-b-c: grid (x=a-b, y=c) and grid (x=a, y=b-c)',
    );
    expect(parse({ anchors: [{ mixer: 'fftnet', name: 'none-full' }] })).toThrow('two variants are both named fftnet/none-full: anchors[0] and grid (filter=none, mask=full)');
    expect(parse({ anchors: ['fnet', 'fnet'] })).toThrow('ablations/g.json: anchors[1]: two variants are both named fnet/base');
  });

  it('rejects two axes that set the same key, and mixing the two forms', () => {
    expect(parse(gridWith({ axes: { a: { x: mo({ filter: 'none' }) }, b: { y: mo({ filter: 'static' }) } } }))).toThrow(
      'ablations/g.json: grid.axes.b: sets model.mixerOptions.filter, which axis "a" sets too',
    );
    expect(parse({ mixers: ['fnet'] })).toThrow('ablations/g.json: mixers: a grid sweep names its mixer in grid.mixer');
    expect(parse({ overrides: [{ name: 'x' }] })).toThrow('ablations/g.json: overrides: a grid sweep');
    expect(() => parseSweepSpec({ tasks: ['listops'], mixers: ['fnet'], seeds: [1], root: 'r', anchors: ['gfnet'] }, 'a.json')).toThrow('a.json: anchors: anchors go beside a grid');
    expect(() => parseSweepSpec({ tasks: ['listops'], seeds: [1], root: 'r' }, 'a.json')).toThrow('a.json: mixers: missing (a sweep names its mixers, or a grid)');
  });
});
