// The classifier with backbone 'ssm' (state-spaces/s4's SequenceModel, encoder and decoder):
// no feed-forward, S4's head, S4's weight-decay groups, the final norm only when prenorm, mean
// pooling over real tokens as S4's decoder with use_lengths, and logits that padding cannot
// change, in training (batch statistics over real tokens) and in evaluation.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/index.js';
import { createClassifier } from '../../src/encoder/classifier.js';
import { describeClassifier } from '../../src/encoder/describe.js';
import { classifierConfigProblems, type ClassifierConfig } from '../../src/encoder/config.js';
import { poolMean } from '../../src/encoder/pooling.js';
import { valueEncoder } from '../../src/encoder/value-encoder.js';
import { mixerNames } from '../../src/mixers/registry.js';
import { ParamStore } from '../../src/nn/params.js';
import { inferenceContext, trainingContext, type ForwardContext } from '../../src/nn/context.js';
import { morePadding, paddedTokens, relativeDiff, tinyConfig } from './fixtures.js';

function ssmConfig(overrides: Partial<ClassifierConfig> = {}): ClassifierConfig {
  return tinyConfig({
    mixer: 's4d',
    mixerOptions: { dState: 4 },
    backbone: 'ssm',
    norm: 'batch',
    pool: 'mean',
    positions: 'none',
    dropout: 0,
    ...overrides,
  });
}

describe('backbone ssm', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  it('has no feed-forward, a norm per block, a final norm only when prenorm, and a Linear head', () => {
    for (const block of ['pre-ln', 'post-ln'] as const) {
      const model = createClassifier(ssmConfig({ block }), 3);
      try {
        const names = model.params.variables().map((p) => p.name);
        expect(names.some((n) => /feedForward/.test(n))).toBe(false);
        expect(names.filter((n) => n.startsWith('head/'))).toEqual(['head/logits/kernel', 'head/logits/bias']);
        expect(names.filter((n) => /^layer\d+\/norm\//.test(n))).toHaveLength(4);
        expect(names.includes('encoderNorm/scale')).toBe(block === 'pre-ln');
        expect(model.params.states().map((s) => s.name)).toEqual([
          'layer0/norm/runningMean', 'layer0/norm/runningVar', 'layer1/norm/runningMean', 'layer1/norm/runningVar',
          ...(block === 'pre-ln' ? ['encoderNorm/runningMean', 'encoderNorm/runningVar'] : []),
        ]);
      } finally {
        model.dispose();
      }
    }
  });

  it('counts its norms as norms and has no feed-forward in its description', () => {
    const { byKind, components } = describeClassifier(ssmConfig());
    expect(byKind.feedForward).toBe(0);
    expect(components.filter((c) => c.kind === 'norm').map((c) => c.name)).toEqual(['layer0/norm', 'layer1/norm', 'encoderNorm']);
  });

  it("takes S4's weight-decay groups: none on biases, norms and embeddings; the mixer's own choices kept", () => {
    const model = createClassifier(ssmConfig(), 3);
    try {
      const byName = new Map(model.params.variables().map((p) => [p.name, p]));
      const decays = (name: string): boolean => byName.get(name)!.decay;
      expect(decays('embed/tokens')).toBe(false);
      expect(decays('layer0/norm/scale')).toBe(false);
      expect(decays('layer0/mixer/output/bias')).toBe(false);
      expect(decays('head/logits/bias')).toBe(false);
      expect(decays('layer0/mixer/output/kernel')).toBe(true);
      expect(decays('layer0/mixer/D')).toBe(true);
      expect(decays('head/logits/kernel')).toBe(true);
      expect(byName.get('layer0/mixer/forward/logDt')).toMatchObject({ decay: false, lr: 1e-3 });
    } finally {
      model.dispose();
    }
  });

  it("takes S5's groups (decay on all but norms) or LRA's (decay on all) when asked", () => {
    const decayOf = (decayGroups: 'lra' | 's5') => {
      const model = createClassifier(ssmConfig({ decayGroups }), 3);
      const byName = new Map(model.params.variables().map((p) => [p.name, p.decay]));
      model.dispose();
      return byName;
    };
    const s5 = decayOf('s5');
    expect([s5.get('embed/tokens'), s5.get('layer0/mixer/output/bias'), s5.get('head/logits/bias')]).toEqual([true, true, true]);
    expect([s5.get('layer0/norm/scale'), s5.get('encoderNorm/bias'), s5.get('layer0/mixer/forward/logDt')]).toEqual([false, false, false]);
    const lra = decayOf('lra');
    expect([lra.get('embed/tokens'), lra.get('layer0/norm/scale'), lra.get('encoderNorm/bias')]).toEqual([true, true, true]);
    expect(lra.get('layer0/mixer/forward/logDt')).toBe(false);
    expect(classifierConfigProblems(tinyConfig({ decayGroups: 's4' }))).toEqual([expect.stringMatching(/decayGroups "s4" needs backbone "ssm"/)]);
  });

  it("leaves the transformer backbone's parameters as they were", () => {
    const model = createClassifier(tinyConfig({ mixer: 's4d', mixerOptions: { dState: 4 } }), 3);
    try {
      const names = model.params.variables().map((p) => p.name);
      expect(names.some((n) => /feedForward/.test(n))).toBe(true);
      expect(model.params.variables().find((p) => p.name === 'embed/tokens')!.decay).toBe(true);
      expect(model.params.states()).toEqual([]);
    } finally {
      model.dispose();
    }
  });

  it("pools as S4's decoder with use_lengths: the mean over each row's first `length` positions", () => {
    const x = tf.randomNormal([3, 6, 4], 0, 1, 'float32', 9) as tf.Tensor3D;
    const lengths = [6, 2, 4];
    const mask = tf.tensor2d(lengths.flatMap((n) => Array.from({ length: 6 }, (_, i) => (i < n ? 1 : 0))), [3, 6]);
    const rows = x.arraySync();
    // SequenceDecoder(mode='pool', l_output=0): x[:length].sum(0) / length.
    const expected = rows.map((row, r) => [0, 1, 2, 3].map((d) => row.slice(0, lengths[r]).reduce((s, v) => s + v[d]!, 0) / lengths[r]!));
    const pooled = poolMean(x, mask).arraySync();
    for (let r = 0; r < 3; r++) for (let d = 0; d < 4; d++) expect(pooled[r]![d]).toBeCloseTo(expected[r]![d]!, 5);
    tf.dispose([x, mask]);
  });

  for (const norm of ['layer', 'batch'] as const) {
    for (const block of ['pre-ln', 'post-ln'] as const) {
      it(`gives logits that padding cannot change (${norm} norm, ${block}), in training and in evaluation`, () => {
        const config = ssmConfig({ norm, block, seqLen: 14 });
        const model = createClassifier(config, 4);
        const tokens = paddedTokens('pad', [10, 3, 7], 10);
        const padded = morePadding(tokens, 4);
        try {
          const contexts: Array<() => ForwardContext> = [() => trainingContext(1, 0), () => inferenceContext()];
          for (const ctx of contexts) {
            const a = tf.tidy(() => model.logits({ tokens }, ctx()));
            const b = tf.tidy(() => model.logits({ tokens: padded }, ctx()));
            expect(relativeDiff(b.dataSync() as Float32Array, a.dataSync() as Float32Array)).toBeLessThan(1e-4);
            tf.dispose([a, b]);
          }
        } finally {
          tf.dispose([tokens, padded]);
          model.dispose();
        }
      });
    }
  }

  it("gives a pair task S4's retrieval head", () => {
    const model = createClassifier(ssmConfig({ pair: true, numClasses: 2 }), 3);
    try {
      const names = model.params.variables().filter((p) => p.name.startsWith('head/'));
      expect(names.map((p) => [p.name, p.variable.shape])).toEqual([
        ['head/hidden/kernel', [32, 8]],
        ['head/hidden/bias', [8]],
        ['head/logits/kernel', [8, 2]],
        ['head/logits/bias', [2]],
      ]);
      const t1 = paddedTokens('a', [5, 9], 10);
      const t2 = paddedTokens('b', [8, 2], 10);
      const logits = tf.tidy(() => model.logits({ tokens: t1, tokens2: t2 }, inferenceContext()));
      expect(logits.shape).toEqual([2, 2]);
      tf.dispose([logits, t1, t2]);
    } finally {
      model.dispose();
    }
  });

  it("moves batch norm's running statistics by batchNormMomentum", () => {
    const tokens = paddedTokens('m', [10, 4, 6], 10);
    const firstMean = (momentum: number | undefined): Float32Array => {
      const model = createClassifier(ssmConfig(momentum === undefined ? {} : { batchNormMomentum: momentum }), 4);
      const updates: { apply(): void; dispose(): void }[] = [];
      tf.dispose(model.logits({ tokens }, { ...trainingContext(1, 0), stateUpdates: updates }));
      for (const u of updates) u.apply();
      const mean = model.params.states()[0]!.variable.dataSync().slice() as Float32Array;
      model.dispose();
      return mean;
    };
    const torchDefault = firstMean(undefined);
    const doubled = firstMean(0.2);
    expect(Array.from(firstMean(0.1))).toEqual(Array.from(torchDefault));
    torchDefault.forEach((v, i) => expect(doubled[i]!).toBeCloseTo(2 * v, 5));
    tokens.dispose();
    expect(classifierConfigProblems(ssmConfig({ norm: 'layer', batchNormMomentum: 0.1 }))).toEqual([expect.stringMatching(/needs norm "batch"/)]);
    expect(classifierConfigProblems(ssmConfig({ batchNormMomentum: 2 }))).toEqual([expect.stringMatching(/in \[0, 1\]/)]);
  });

  // The backbone takes any mixer that keeps the length and leaves the residual to it.
  it.each([...mixerNames])('builds around %s, or says why it cannot', (mixer) => {
    const config = ssmConfig({ mixer, mixerOptions: {}, heads: 2 });
    const problems = classifierConfigProblems(config);
    if (problems.length > 0) {
      // Problems of the mixer at this length, which the transformer backbone has too, or the backbone's own.
      const transformerProblems = classifierConfigProblems({ ...config, backbone: 'transformer', norm: 'layer' });
      for (const problem of problems) expect(transformerProblems.includes(problem) || /backbone "ssm"/.test(problem)).toBe(true);
      return;
    }
    let model: ReturnType<typeof createClassifier>;
    try {
      model = createClassifier(config, 3);
    } catch (error) {
      expect((error as Error).message).toMatch(/owns the residual around its mixer/);
      return;
    }
    const tokens = paddedTokens(mixer, [10, 6], 10);
    const logits = tf.tidy(() => model.logits({ tokens }, trainingContext(1, 0)));
    expect(Array.from(logits.dataSync()).every(Number.isFinite)).toBe(true);
    tf.dispose([logits, tokens]);
    model.dispose();
  });

  it("encodes pixel values through one Linear, as S4's image pipelines (encoder 'linear')", () => {
    const values = { offset: 1, scale: 1 / 255, mean: 0.5, std: 0.25 };
    const store = new ParamStore(2);
    const encoder = valueEncoder(store, 3, values);
    const ids = [0, 1, 2, 129, 256];
    const out = tf.tidy(() => encoder.apply(tf.tensor2d([ids], [1, 5], 'int32'))).arraySync()[0]!;
    const [w, b] = [store.get('kernel').arraySync() as number[], store.get('bias').arraySync() as number[]];
    ids.forEach((id, i) => {
      const v = ((id - 1) / 255 - 0.5) / 0.25;
      for (let d = 0; d < 3; d++) expect(out[i]![d]).toBeCloseTo(v * w[d]! + b[d]!, 5);
    });
    store.dispose();

    const model = createClassifier(ssmConfig({ encoder: 'linear', tokenValues: values, vocabSize: 257 }), 3);
    try {
      const embed = model.params.variables().filter((p) => p.name.startsWith('embed/'));
      expect(embed.map((p) => [p.name, p.variable.shape, p.decay])).toEqual([
        ['embed/values/kernel', [8], true],
        ['embed/values/bias', [8], false],
      ]);
    } finally {
      model.dispose();
    }
    expect(classifierConfigProblems(ssmConfig({ encoder: 'linear' }))).toEqual([expect.stringMatching(/needs tokenValues/)]);
  });

  it('refuses settings the backbone cannot take', () => {
    expect(classifierConfigProblems(tinyConfig({ norm: 'batch' }))).toEqual([expect.stringMatching(/norm "batch" needs backbone "ssm"/)]);
    expect(classifierConfigProblems(tinyConfig({ tieDropout: true }))).toEqual([expect.stringMatching(/tieDropout needs backbone "ssm"/)]);
    expect(classifierConfigProblems(ssmConfig({ reversible: true })).join('; ')).toMatch(/backbone "ssm" cannot have them/);
    expect(classifierConfigProblems(ssmConfig({ norm: 'group' as never }))).toEqual([expect.stringMatching(/norm must be/)]);
    expect(classifierConfigProblems(ssmConfig({ backbone: 'rnn' as never }))).toEqual([expect.stringMatching(/backbone must be/)]);
    expect(classifierConfigProblems(ssmConfig({ head: 'mlp' as never }))).toEqual([expect.stringMatching(/head must be/)]);
    expect(classifierConfigProblems(ssmConfig())).toEqual([]);
  });

  it('recomputes its blocks with the same gradients and one running-statistics update per block', () => {
    const config = ssmConfig();
    const tokens = paddedTokens('r', [10, 4, 6], 10);
    const gradsOf = (recompute: 'none' | 'block') => {
      const model = createClassifier({ ...config, recompute }, 4);
      const updates: { apply(): void; dispose(): void }[] = [];
      const ctx = { ...trainingContext(1, 0), stateUpdates: updates };
      const { grads } = tf.variableGrads(() => tf.mean(model.logits({ tokens }, ctx)) as tf.Scalar, model.params.variables().map((p) => p.variable));
      const out = model.params.variables().map((p) => Array.from(grads[p.variable.name]!.dataSync()));
      tf.dispose(Object.values(grads));
      const count = updates.length;
      for (const u of updates) u.dispose();
      model.dispose();
      return { out, count };
    };
    const plain = gradsOf('none');
    const recomputed = gradsOf('block');
    expect(recomputed.count).toBe(plain.count);
    expect(plain.count).toBe(3);
    plain.out.forEach((g, i) => expect(relativeDiff(Float32Array.from(recomputed.out[i]!), Float32Array.from(g))).toBeLessThan(1e-4));
    tokens.dispose();
  });
});
