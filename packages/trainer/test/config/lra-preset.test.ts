// The lra preset against the numbers of LRA's released configs (lra_benchmarks/<task>/configs and
// image/configs/{cifar10,pathfinder32,pathfinder128}), written out here by hand from those files.
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/resolve.js';

function lra(task: string) {
  return resolveConfig({ task, mixer: 'attention', preset: 'lra' }).config;
}

describe('the lra preset follows LRA’s configs', () => {
  it('validates as often as eval_frequency says', () => {
    // listops 50, text 100, matching 100, cifar10 45000 // 256 = 175, pathfinder32 160000 // 512 = 312,
    // pathfinder128 160000 // 64 = 2500.
    const every = Object.fromEntries(['listops', 'text', 'retrieval', 'image', 'pathfinder', 'pathx'].map((t) => [t, lra(t).train.evalEvery]));
    expect(every).toEqual({ listops: 50, text: 100, retrieval: 100, image: 175, pathfinder: 312, pathx: 2500 });
  });

  it('pools as LRA: CLS token, the first token of the dual encoder, or the mean over every position', () => {
    const pools = Object.fromEntries(['listops', 'text', 'retrieval', 'image', 'pathfinder', 'pathx'].map((t) => [t, lra(t).model.pool]));
    expect(pools).toEqual({ listops: 'cls', text: 'cls', retrieval: 'first', image: 'cls', pathfinder: 'mean-all', pathx: 'mean-all' });
  });

  it('masks grey level 0 on the image tasks only', () => {
    for (const t of ['image', 'pathfinder', 'pathx']) expect(lra(t).data.zeroIsPadding, t).toBe(true);
    for (const t of ['listops', 'text', 'retrieval']) expect(lra(t).data.zeroIsPadding, t).toBeUndefined();
  });

  it('trains Pathfinder with transformer_base’s dropout 0.2', () => {
    const { model, train } = lra('pathfinder');
    expect({ ...model, mixerOptions: undefined }).toMatchObject({ dModel: 32, heads: 4, layers: 4, mlpDim: 32, dropout: 0.2, attentionDropout: 0.1, positions: 'sinusoidal' });
    expect(model.mixerOptions).toEqual({ impl: 'lra', qkvDim: 16 });
    expect(train).toMatchObject({ batchSize: 512, steps: 62400, lr: 0.001, schedule: 'cosine', warmup: 312, weightDecay: 0, gradClipNorm: null });
  });

  it('trains Path-X with base_pathfinder128_config', () => {
    const { model, train } = lra('pathx');
    expect(model).toMatchObject({ dModel: 32, heads: 2, layers: 1, mlpDim: 32, dropout: 0.1, attentionDropout: 0.1, positions: 'learned' });
    expect(model.mixerOptions).toEqual({ impl: 'lra', qkvDim: 16 });
    expect(train).toMatchObject({ batchSize: 64, steps: 500000, lr: 0.001, schedule: 'cosine', warmup: 2500, weightDecay: 0, gradClipNorm: 1 });
  });
});
