// qkvDim (LRA's qkv_dim) narrows queries, keys and values. Checked without a formula of our own:
// a narrow mixer equals a full-width one whose projections hold the narrow kernels in the first
// columns of each head (zeros elsewhere), queries scaled so that 1/sqrt(head width) matches.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/index.js';
import { resolveMixerOptions } from '../../src/mixers/registry.js';
import { local } from '../../src/mixers/local.js';
import { linformer } from '../../src/mixers/linformer.js';
import type { MixerSpec } from '../../src/mixers/types.js';
import { inferenceContext } from '../../src/nn/context.js';
import { ParamStore } from '../../src/nn/params.js';
import { seededUniform } from '../support/random.js';

const B = 2;
const N = 12;
const D = 16;
const H = 2;
const Q = 8;

function build(spec: MixerSpec<any>, name: string, options: Record<string, unknown>, seed: number) {
  const store = new ParamStore(seed);
  const mixer = spec.create({ dModel: D, heads: H, seqLen: N, dropout: 0, attentionDropout: 0, params: store.scope('mixer'), layer: 0 }, resolveMixerOptions(name, options));
  return { store, mixer };
}

/** [D, Q] kernel -> [D, D]: head h's Q/H columns first in its D/H block, scaled; zeros elsewhere. */
function widenColumns(kernel: Float32Array, scale: number): Float32Array {
  const out = new Float32Array(D * D);
  const [narrowHead, wideHead] = [Q / H, D / H];
  for (let r = 0; r < D; r++)
    for (let h = 0; h < H; h++) for (let c = 0; c < narrowHead; c++) out[r * D + h * wideHead + c] = kernel[r * Q + h * narrowHead + c]! * scale;
  return out;
}

/** [Q, D] output kernel -> [D, D]: its rows at the same places, zero rows elsewhere. */
function widenRows(kernel: Float32Array): Float32Array {
  const out = new Float32Array(D * D);
  const [narrowHead, wideHead] = [Q / H, D / H];
  for (let h = 0; h < H; h++) for (let c = 0; c < narrowHead; c++) for (let j = 0; j < D; j++) out[(h * wideHead + c) * D + j] = kernel[(h * narrowHead + c) * D + j]!;
  return out;
}

const cases: Array<[string, MixerSpec<any>, Record<string, unknown>]> = [
  ['local', local, { window: 6 }],
  ['local', local, { impl: 'lra', blockSize: 4 }],
  ['linformer', linformer, { k: 5 }],
  ['linformer', linformer, { impl: 'lra', k: 5 }],
];

describe('qkvDim', () => {
  beforeAll(async () => {
    await selectBackend('cpu');
  });

  for (const [name, spec, options] of cases) {
    it(`${name} ${JSON.stringify(options)}: narrow = full width with the narrow kernels embedded`, () => {
      const narrow = build(spec, name, { ...options, qkvDim: Q }, 5);
      const wide = build(spec, name, options, 6);
      expect(narrow.store.get('mixer/query/kernel').shape).toEqual([D, Q]);
      expect(narrow.store.get('mixer/output/kernel').shape).toEqual([Q, D]);
      const read = (n: string) => narrow.store.get(`mixer/${n}/kernel`).dataSync() as Float32Array;
      const queryScale = Math.sqrt(D / Q); // 1/sqrt(Q/H) in the narrow head = scale/sqrt(D/H) in the wide one
      wide.store.get('mixer/query/kernel').assign(tf.tensor2d(widenColumns(read('query'), queryScale), [D, D]));
      wide.store.get('mixer/key/kernel').assign(tf.tensor2d(widenColumns(read('key'), 1), [D, D]));
      wide.store.get('mixer/value/kernel').assign(tf.tensor2d(widenColumns(read('value'), 1), [D, D]));
      wide.store.get('mixer/output/kernel').assign(tf.tensor2d(widenRows(read('output')), [D, D]));
      if (name === 'linformer') wide.store.get('mixer/compress').assign(narrow.store.get('mixer/compress'));
      const x = tf.tensor3d(Float32Array.from(seededUniform('qkv-width', B * N * D)), [B, N, D]);
      const mask = tf.tensor2d(Array.from({ length: B * N }, (_, i) => (i % N < N - 1 - (i >= N ? 3 : 0) ? 1 : 0)), [B, N]);
      const a = narrow.mixer.apply(x, mask, inferenceContext()).dataSync();
      const b = wide.mixer.apply(x, mask, inferenceContext()).dataSync();
      let worst = 0;
      for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
      expect(worst).toBeLessThan(1e-5);
      expect(Math.max(...Array.from(a, Math.abs))).toBeGreaterThan(1e-3);
      narrow.store.dispose();
      wide.store.dispose();
    });
  }

  it('refuses a width the heads do not divide', () => {
    const args = { dModel: D, heads: 3, seqLen: N, dropout: 0, attentionDropout: 0, params: new ParamStore(1), layer: 0 };
    expect(local.validate!(args, resolveMixerOptions('local', { qkvDim: 8 }))).toBe('qkvDim 8 is not divisible by 3 heads');
    expect(linformer.validate!(args, resolveMixerOptions('linformer', { qkvDim: 8 }))).toBe('qkvDim 8 is not divisible by 3 heads');
  });
});
