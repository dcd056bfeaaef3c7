// The Fourier Transformer's two implementations: 'reference' against a numpy port of the
// authors' LRA code (scripts/fixtures/fourier_transformer_reference.py), and the block-level
// difference between them: padding reaches real outputs in 'reference' (the authors' DCT sees
// it) and never in 'clean'.
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/index.js';
import { encoderBlock } from '../../src/encoder/block.js';
import { classifierConfigProblems } from '../../src/encoder/config.js';
import { fourierTransformer, type FourierTransformerOptions } from '../../src/mixers/fourier-transformer.js';
import { inferenceContext } from '../../src/nn/context.js';
import { ParamStore, type ParamSnapshot } from '../../src/nn/params.js';
import { seededUniform } from '../support/random.js';
import { tinyConfig } from '../encoder/fixtures.js';
import { maxAbsDiff } from './spectral-reference.js';

interface ReferenceCase {
  name: string;
  batch: number;
  length: number;
  width: number;
  heads: number;
  keep: number;
  hasCls: boolean;
  x: number[];
  mask: number[];
  params: Record<string, { shape: number[]; values: number[] }>;
  shortLength: number;
  short: number[];
  attention: number[];
}

const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/mixers/fourier-transformer-reference.json', import.meta.url), 'utf8'),
) as { cases: ReferenceCase[] };

function options(impl: FourierTransformerOptions['impl'], keep: number): FourierTransformerOptions {
  return { ...fourierTransformer.defaults, keep, impl };
}

describe('fourier-transformer impl reference', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  for (const c of fixture.cases) {
    it(`matches the numpy port of the authors' code (${c.name})`, () => {
      const store = new ParamStore(3);
      const args = {
        dModel: c.width, heads: c.heads, seqLen: c.length, dropout: 0, attentionDropout: 0,
        params: store.scope('mixer'), layer: 0, hasCls: c.hasCls,
      };
      const resolved = options('reference', c.keep);
      expect(fourierTransformer.validate!(args, resolved)).toBeNull();
      const mixer = fourierTransformer.create(args, resolved);
      // The reference's projections have biases: the mixer must have created them.
      expect(store.variables().map((p) => p.name).sort()).toEqual(Object.keys(c.params).map((k) => `mixer/${k}`).sort());
      const snapshot: ParamSnapshot = {};
      for (const [name, entry] of Object.entries(c.params)) {
        snapshot[`mixer/${name}`] = { shape: entry.shape, values: Float32Array.from(entry.values) };
      }
      store.restore(snapshot);
      const x = tf.tensor3d(Float32Array.from(c.x), [c.batch, c.length, c.width]);
      const mask = tf.tensor2d(Float32Array.from(c.mask), [c.batch, c.length]);
      const out = mixer.apply(x, mask, inferenceContext());
      const short = mixer.residual!(x, mask);
      expect(out.shape).toEqual([c.batch, c.shortLength, c.width]);
      expect(fourierTransformer.outputLength!(c.length, resolved, { layer: 0, hasCls: c.hasCls })).toBe(c.shortLength);
      expect(maxAbsDiff(short.dataSync(), c.short)).toBeLessThan(2e-5);
      expect(maxAbsDiff(out.dataSync(), c.attention)).toBeLessThan(5e-5);
      tf.dispose([x, mask, out, short]);
      store.dispose();
    });
  }

  it("refuses a CLS model whose first layer does not shorten (the dropped last token would come too late)", () => {
    const store = new ParamStore(3);
    const args = { dModel: 4, heads: 2, seqLen: 9, dropout: 0, attentionDropout: 0, params: store.scope('mixer'), layer: 0, hasCls: true };
    expect(fourierTransformer.validate!(args, { ...options('reference', 0.25), layers: [1] })).toMatch(/layers must include 0/);
    expect(fourierTransformer.validate!(args, { ...options('clean', 0.25), layers: [1] })).toBeNull();
    // The classifier's validation hands the mixer whether there is a CLS token.
    const config = (pool: 'cls' | 'mean') =>
      tinyConfig({ mixer: 'fourier-transformer', pool, mixerOptions: { impl: 'reference', layers: [1] } });
    expect(classifierConfigProblems(config('cls')).join()).toMatch(/layers must include 0/);
    expect(classifierConfigProblems(config('mean'))).toEqual([]);
  });

  for (const impl of ['clean', 'reference'] as const) {
    it(`impl ${impl}: a pre-LN block's outputs ${impl === 'clean' ? 'ignore' : 'follow'} the padded tokens' contents`, () => {
      const [B, N, D] = [2, 12, 4];
      const store = new ParamStore(8);
      const args = { dModel: D, heads: 2, seqLen: N, dropout: 0, attentionDropout: 0, params: store.scope('mixer'), layer: 0, hasCls: true };
      const block = encoderBlock(store, fourierTransformer.create(args, options(impl, 0.3)), {
        style: 'pre-ln', dModel: D, mlpDim: 8, dropout: 0, layerNormEps: 1e-6,
      });
      // Row 1 has 5 padded positions at its end (not the last one alone, which 'reference' drops).
      const maskValues = Float32Array.from({ length: B * N }, (_, i) => (i >= N + 7 ? 0 : 1));
      const mask = tf.tensor2d(maskValues, [B, N]);
      const base = seededUniform('ft-block-x', B * N * D);
      const other = seededUniform('ft-block-padding', B * N * D, -3, 3);
      const changed = Float32Array.from(base, (v, i) => (maskValues[Math.floor(i / D)] ? v : other[i]!));
      const run = (values: ArrayLike<number>) =>
        tf.tidy(() => block.apply(tf.tensor3d(Float32Array.from(values), [B, N, D]), mask, inferenceContext()).dataSync());
      const difference = maxAbsDiff(run(base), run(changed));
      if (impl === 'clean') expect(difference).toBeLessThan(1e-6);
      else expect(difference).toBeGreaterThan(1e-3);
      mask.dispose();
      store.dispose();
    });
  }
});
