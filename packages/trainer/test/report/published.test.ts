import { describe, expect, it } from 'vitest';
import { mixerNames } from '@lra/models';
import {
  formatPublished,
  lraAverage,
  PUBLISHED_MODEL_OF_MIXER,
  PUBLISHED_MODELS,
  publishedScore,
} from '../../src/report/published.js';

describe('published LRA numbers', () => {
  it("reproduce Table 1's own averages from the transcribed scores (five tasks, no Path-X)", () => {
    const table1 = PUBLISHED_MODELS.filter((m) => m.statedAverage !== null);
    expect(table1.length).toBe(11);
    const mismatched = table1.filter((m) => Math.abs(lraAverage(m.scores)! - m.statedAverage!) > 0.005 + 1e-9);
    // The paper's one arithmetic slip: Sinkhorn's five scores average 51.476, not the printed 51.29.
    expect(mismatched.map((m) => [m.model, Number(lraAverage(m.scores)!.toFixed(3))])).toEqual([['Sinkhorn Trans.', 51.476]]);
  });

  it('map this project\'s mixers to the rows that measured them', () => {
    expect(publishedScore('attention', 'listops')).toEqual({ model: 'Transformer', source: 'LRA paper (Tay et al., ICLR 2021), Table 1', accuracy: 36.37, note: null });
    expect(publishedScore('linear', 'text')!.accuracy).toBe(65.9);
    expect(publishedScore('performer', 'pathfinder')!.accuracy).toBe(77.05);
    expect(publishedScore('fnet', 'retrieval')!.accuracy).toBe(59.61);
    expect(publishedScore('nystromformer', 'image')!.accuracy).toBe(41.58);
    expect(publishedScore('s4d', 'listops')).toMatchObject({ model: 'S4D-Lin', accuracy: 60.52 });
    expect(publishedScore('s4', 'pathx')).toMatchObject({ model: 'S4', accuracy: 96.35 });
    expect(publishedScore('s5', 'pathx')).toMatchObject({ model: 'S5', accuracy: 98.58 });
    expect(publishedScore('lru', 'retrieval')).toMatchObject({ model: 'LRU', accuracy: 89.9 });
    expect(publishedScore('mega', 'image')).toMatchObject({ model: 'Mega', accuracy: 90.44 });
    expect(publishedScore('local', 'listops')!.accuracy).toBe(15.82);
    // LRA's Table 1 models ported from its code.
    expect(publishedScore('sparse-transformer', 'listops')).toMatchObject({ model: 'Sparse Trans.', accuracy: 17.07 });
    expect(publishedScore('sparse-transformer', 'image')!.accuracy).toBe(44.24);
    expect(publishedScore('longformer', 'pathfinder')).toMatchObject({ model: 'Longformer', accuracy: 69.71 });
    expect(publishedScore('sinkhorn', 'text')).toMatchObject({ model: 'Sinkhorn Trans.', accuracy: 61.2 });
    expect(publishedScore('synthesizer', 'retrieval')).toMatchObject({ model: 'Synthesizer', accuracy: 54.67 });
    expect(publishedScore('synthesizer', 'pathx')).toMatchObject({ accuracy: null, note: 'FAIL' });
    for (const model of Object.values(PUBLISHED_MODEL_OF_MIXER)) expect(PUBLISHED_MODELS.some((m) => m.model === model)).toBe(true);
  });

  it('tell a failed Path-X from an unreported one, and both from "not published"', () => {
    const fail = publishedScore('attention', 'pathx')!;
    expect(fail).toMatchObject({ accuracy: null, note: 'FAIL' });
    expect(formatPublished(fail)).toBe('FAIL');
    const dash = publishedScore('s4d', 'pathx')!;
    expect(dash).toMatchObject({ accuracy: null, note: 'not reported' });
    expect(formatPublished(dash)).toBe('-');
    expect(formatPublished(publishedScore('fftnet', 'listops'))).toBe('not published');
  });

  it('give no number for mixers whose LRA results are not in the sources', () => {
    for (const mixer of ['fftnet', 'gfnet', 'fourier-transformer', 'hyena', 'mamba', 'gmlp', 'kernelized-rpe', 'rfa'])
      expect(publishedScore(mixer, 'listops')).toBeNull();
    // Every registered mixer is either mapped or reads "not published": none maps to a missing row.
    for (const mixer of mixerNames) {
      const p = publishedScore(mixer, 'text');
      if (p) expect(p.accuracy).toBeGreaterThan(0);
    }
  });

  it('average only complete sets of the five tasks', () => {
    expect(lraAverage({ listops: 10, text: 20, retrieval: 30, image: 40, pathfinder: 50, pathx: 100 })).toBe(30);
    expect(lraAverage({ listops: 10, text: 20, retrieval: 30, image: 40 })).toBeNull();
    expect(lraAverage({ listops: 10, text: 20, retrieval: 30, image: 40, pathfinder: null })).toBeNull();
  });
});
