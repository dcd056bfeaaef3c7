// The fused attention kernels (src/backend/fused/fused-attention.ts) against exact softmax
// attention: a float64 forward pass written out here (scores, key bias, softmax, the dropout mask
// from seededDropoutKeeps, weighted values) and tfjs's own ops differentiated on the cpu backend
// for the gradients. Then slices over threads bit for bit, and the errors for inputs they refuse.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { FUSED_ATTENTION_GRAD_KERNEL, FUSED_ATTENTION_KERNEL, fusedAttentionProblem, fusedAttentionUnavailable } from '../../../src/backend/fused/fused-attention.js';
import {
  BACKWARD_FIELDS, FORWARD_FIELDS, attentionRowBlock, backwardScratchFloats, forwardScratchFloats,
} from '../../../src/backend/fused/attention-rows.js';
import { seededDropoutKeeps } from '../../../src/backend/fused/seeded-dropout-mask.js';
import { encodeJob } from '../../../src/backend/parallel/job-fields.js';
import { TASK, runPart } from '../../../src/backend/parallel/tasks.js';
import { fusedAttention } from '../../../src/nn/fused-attention.js';
import { normalArray, relativeError } from '../numeric.js';
import { useBackend, valuesOn } from '../on-backends.js';
import { heapOf } from '../simd/memory.js';

interface Case { examples: number; heads: number; n: number; d: number; rate: number; padded: boolean }

const H = 2;
const SEED = 4242;
const EXAMPLE_OFFSET = 3;

function inputs(c: Case): { q: Float32Array; kT: Float32Array; v: Float32Array; dy: Float32Array; mask: Float32Array } {
  const bh = c.examples * c.heads;
  const mask = new Float32Array(c.examples * c.n).fill(1);
  // Example e has its last 3 (e + 1) keys padded; with `padded`, the last example's keys all are.
  if (c.padded) for (let e = 0; e < c.examples; e++) for (let j = 0; j < c.n; j++) if (j >= c.n - 3 * (e + 1) || e === c.examples - 1) mask[e * c.n + j] = 0;
  return {
    q: normalArray('q', bh * c.n * c.d, 0.5), kT: normalArray('kT', bh * c.d * c.n), v: normalArray('v', bh * c.n * c.d),
    dy: normalArray('dy', bh * c.n * c.d), mask,
  };
}

/** Float64 attention of every head, [BH, N, d]. */
function forwardReference(c: Case, x: ReturnType<typeof inputs>): Float64Array {
  const { n, d } = c;
  const out = new Float64Array(c.examples * c.heads * n * d);
  for (let bh = 0; bh < c.examples * c.heads; bh++) {
    const e = Math.floor(bh / c.heads);
    for (let i = 0; i < n; i++) {
      const scores = Array.from({ length: n }, (_, j) => {
        let s = 0;
        for (let k = 0; k < d; k++) s += x.q[(bh * n + i) * d + k]! * x.kT[(bh * d + k) * n + j]!;
        // The key bias joins in float32, as on every backend: -1e9 swallows the score.
        return c.padded ? Math.fround(Math.fround(s) + (1 - x.mask[e * n + j]!) * -1e9) : s;
      });
      const max = Math.max(...scores);
      const weights = scores.map((s) => Math.exp(s - max));
      const sum = weights.reduce((a, b) => a + b, 0);
      for (let j = 0; j < n; j++) {
        const index = ((EXAMPLE_OFFSET * c.heads + bh) * n + i) * n + j;
        const keep = c.rate === 0 || seededDropoutKeeps(index, { rate: c.rate, seed: SEED });
        const w = keep ? weights[j]! / sum / (1 - c.rate) : 0;
        for (let k = 0; k < d; k++) out[(bh * n + i) * d + k] += w * x.v[(bh * n + j) * d + k]!;
      }
    }
  }
  return out;
}

/** tfjs ops: the dense path's formula, with the seeded dropout kernel's mask at the same offset. */
function denseAttention(c: Case, q: tf.Tensor3D, kT: tf.Tensor3D, v: tf.Tensor3D, bias: tf.Tensor2D | null): tf.Tensor3D {
  let scores: tf.Tensor = tf.matMul(q, kT);
  if (bias) scores = tf.reshape(tf.add(tf.reshape(scores, [c.examples, c.heads, c.n, c.n]), tf.reshape(bias, [c.examples, 1, 1, c.n])), [c.examples * c.heads, c.n, c.n]);
  let weights = tf.softmax(scores);
  if (c.rate > 0) weights = tf.engine().runKernel('LraSeededDropout', { x: weights }, { rate: c.rate, seed: SEED, offset: EXAMPLE_OFFSET * c.heads * c.n * c.n }) as tf.Tensor;
  return tf.matMul(weights, v) as tf.Tensor3D;
}

/** Output and the gradients of q, kT, v of sum(attention * dy), by `attend` on the current backend. */
function valuesAndGradients(c: Case, x: ReturnType<typeof inputs>, attend: (q: tf.Tensor3D, kT: tf.Tensor3D, v: tf.Tensor3D, bias: tf.Tensor2D | null) => tf.Tensor3D): tf.Tensor[] {
  const bh = c.examples * c.heads;
  const [q, kT, v, dy] = [tf.tensor3d(x.q, [bh, c.n, c.d]), tf.tensor3d(x.kT, [bh, c.d, c.n]), tf.tensor3d(x.v, [bh, c.n, c.d]), tf.tensor3d(x.dy, [bh, c.n, c.d])];
  const bias = c.padded ? (tf.mul(tf.sub(1, tf.tensor2d(x.mask, [c.examples, c.n])), -1e9) as tf.Tensor2D) : null;
  const f = (a: tf.Tensor, b: tf.Tensor, w: tf.Tensor) => attend(a as tf.Tensor3D, b as tf.Tensor3D, w as tf.Tensor3D, bias);
  const grads = tf.grads((a, b, w) => tf.sum(tf.mul(f(a, b, w), dy)))([q, kT, v]);
  return [f(q, kT, v), ...grads];
}

const fused = (c: Case) => (q: tf.Tensor3D, kT: tf.Tensor3D, v: tf.Tensor3D, bias: tf.Tensor2D | null) =>
  fusedAttention(q, kT, v, bias, { heads: c.heads, dropout: c.rate > 0 ? { rate: c.rate, seed: SEED, exampleOffset: EXAMPLE_OFFSET } : null });

describe('the fused attention kernels on wasm', () => {
  beforeAll(() => useBackend('wasm'));

  const cases: Case[] = [
    { examples: 2, heads: H, n: 24, d: 8, rate: 0, padded: false },
    { examples: 3, heads: H, n: 72, d: 16, rate: 0.1, padded: true },
    { examples: 1, heads: 3, n: 40, d: 24, rate: 0.5, padded: false },
    // Sizes the kernels take only padded to multiples of 8 (fusedAttention pads them).
    { examples: 2, heads: H, n: 37, d: 12, rate: 0.3, padded: true },
    { examples: 2, heads: H, n: 21, d: 8, rate: 0, padded: false },
  ];
  for (const c of cases) {
    it(`compute attention and its gradients: ${c.examples} x ${c.heads} heads, N ${c.n}, d ${c.d}, dropout ${c.rate}${c.padded ? ', padded keys' : ''}`, async () => {
      const x = inputs(c);
      const [out, dq, dkT, dv] = await valuesOn('wasm', () => valuesAndGradients(c, x, fused(c)));
      expect(relativeError(out!, forwardReference(c, x))).toBeLessThan(2e-6);
      const [, dq0, dkT0, dv0] = await valuesOn('cpu', () => valuesAndGradients(c, x, (q, kT, v, bias) => denseAttention(c, q, kT, v, bias)));
      for (const [name, got, want] of [['dq', dq, dq0], ['dk^T', dkT, dkT0], ['dv', dv, dv0]] as const) {
        expect(relativeError(got!, want!), name).toBeLessThan(2e-5);
      }
    });
  }

  it('leave no tensor behind but the results: the weights never exist, the row statistics go with the tape', async () => {
    await useBackend('wasm');
    const c = cases[1]!;
    const x = inputs(c);
    const bh = c.examples * c.heads;
    const [q, kT, v, dy] = [tf.tensor3d(x.q, [bh, c.n, c.d]), tf.tensor3d(x.kT, [bh, c.d, c.n]), tf.tensor3d(x.v, [bh, c.n, c.d]), tf.tensor3d(x.dy, [bh, c.n, c.d])];
    const bias = tf.tensor2d(x.mask.map((m) => (1 - m) * -1e9), [c.examples, c.n]);
    const before = tf.memory().numTensors;
    for (let step = 0; step < 3; step++) {
      const grads = tf.grads((a, b, w) => tf.sum(tf.mul(fused(c)(a as tf.Tensor3D, b as tf.Tensor3D, w as tf.Tensor3D, bias), dy)))([q, kT, v]);
      expect(tf.memory().numTensors - before, `step ${step}`).toBe(3);
      tf.dispose(grads);
    }
    tf.dispose([q, kT, v, dy, bias]);
  });

  it('are offered on wasm only', async () => {
    await useBackend('wasm');
    expect(fusedAttentionUnavailable()).toBeNull();
    await useBackend('cpu');
    expect(fusedAttentionUnavailable()).toMatch(/cpu backend has no fused attention kernels/);
    expect(tf.getKernel(FUSED_ATTENTION_KERNEL, 'cpu')).toBeUndefined();
  });

  it('refuse shapes they cannot take, saying which', async () => {
    const attrs = { heads: 2, rate: 0, seed: 0, exampleOffset: 0, biased: 1 };
    expect(fusedAttentionProblem([4, 16, 8], [4, 8, 16], [4, 16, 8], [2, 16], attrs)).toBeNull();
    expect(fusedAttentionProblem([4, 16, 8], [4, 16, 8], [4, 16, 8], [2, 16], attrs)).toMatch(/k\^T \[4, 16, 8\].*must be \[4, 8, 16\]/);
    expect(fusedAttentionProblem([4, 12, 8], [4, 8, 12], [4, 12, 8], [2, 12], attrs)).toMatch(/multiples of 8/);
    expect(fusedAttentionProblem([4, 16, 8], [4, 8, 16], [4, 16, 8], [4, 16], attrs)).toMatch(/key bias \[4, 16\] must be \[2, 16\]/);
    expect(fusedAttentionProblem([3, 16, 8], [3, 8, 16], [3, 16, 8], [1, 16], attrs)).toMatch(/not a multiple of 2 heads/);
    expect(fusedAttentionProblem([4, 16, 8], [4, 8, 16], [4, 16, 8], [2, 16], { ...attrs, rate: 1 })).toMatch(/rate 1 is not in/);
    expect(fusedAttentionProblem([4, 16, 8], [4, 8, 16], [4, 16, 8], [2, 16], { ...attrs, dropoutN: 17 })).toMatch(/dropoutN 17 is not in \[1, 16\]/);
    await useBackend('wasm');
    const [q, kT] = [tf.zeros([4, 12, 8]), tf.zeros([4, 8, 12])];
    expect(() => tf.engine().runKernel(FUSED_ATTENTION_KERNEL, { q, kT, v: q, bias: tf.zeros([1]) }, { ...attrs, biased: 0 })).toThrow(`${FUSED_ATTENTION_KERNEL}: N 12 and the head width 8 must be positive multiples of 8`);
    expect(() => tf.engine().runKernel(FUSED_ATTENTION_GRAD_KERNEL, { dy: q, q: tf.zeros([4, 16, 8]), kT: tf.zeros([4, 8, 16]), v: tf.zeros([4, 16, 8]), bias: tf.zeros([1]), stats: tf.zeros([4, 16, 2]) }, { ...attrs, biased: 0 }))
      .toThrow(/dy \[4, 12, 8\] and stats \[4, 16, 2\] must be \[4, 16, 8\]/);
    tf.dispose([q, kT]);
  });
});

describe('the fused attention split over threads', () => {
  // The heap pool's job through runPart, on a shared memory: 1, 2 and 3 slices give the same bits.
  it('computes the same bits in any number of slices, forward by blocks of rows and backward by heads', () => {
    const c: Case = { examples: 3, heads: H, n: 136, d: 8, rate: 0.2, padded: true };
    const x = inputs(c);
    const bh = c.examples * c.heads;
    const rowBlock = attentionRowBlock(c.n);
    expect(Math.ceil(c.n / rowBlock)).toBeGreaterThan(1);
    const shape = { headsTotal: bh, heads: c.heads, n: c.n, d: c.d, rowBlock, rate: c.rate, seed: SEED, exampleOffset: EXAMPLE_OFFSET, dropoutN: c.n };
    const maxParts = 3;
    const sizes = [x.q.length, x.kT.length, x.v.length, x.dy.length, x.mask.length, bh * c.n * 2, x.q.length, x.q.length, x.kT.length, x.v.length,
      maxParts * Math.max(forwardScratchFloats(shape), backwardScratchFloats(shape))];
    const { memory, arrays } = heapOf(true, sizes);
    const [q, kT, v, dy, bias, stats, out, dq, dkT, dv, scratch] = arrays as Float32Array[];
    q!.set(x.q); kT!.set(x.kT); v!.set(x.v); dy!.set(x.dy);
    bias!.set(x.mask.map((m) => (1 - m) * -1e9));
    const forward = encodeJob({ ...shape, qAt: q!.byteOffset, kTAt: kT!.byteOffset, vAt: v!.byteOffset, biasAt: bias!.byteOffset, outAt: out!.byteOffset, statsAt: stats!.byteOffset, scratchAt: scratch!.byteOffset }, FORWARD_FIELDS);
    const backward = encodeJob({ ...shape, dyAt: dy!.byteOffset, qAt: q!.byteOffset, kTAt: kT!.byteOffset, vAt: v!.byteOffset, biasAt: bias!.byteOffset, statsAt: stats!.byteOffset, dqAt: dq!.byteOffset, dkTAt: dkT!.byteOffset, dvAt: dv!.byteOffset, scratchAt: scratch!.byteOffset }, BACKWARD_FIELDS);
    const run = (parts: number): Float32Array[] => {
      for (const a of [out, stats, dq, dkT, dv]) a!.fill(Number.NaN);
      for (let part = 0; part < parts; part++) runPart(memory.buffer, Float64Array.from([TASK.attention, ...forward]), part, parts, undefined, memory);
      for (let part = 0; part < parts; part++) runPart(memory.buffer, Float64Array.from([TASK.attentionGrad, ...backward]), part, parts, undefined, memory);
      return [out, stats, dq, dkT, dv].map((a) => a!.slice());
    };
    const one = run(1);
    expect(relativeError(one[0]!, forwardReference(c, x))).toBeLessThan(2e-6);
    for (const parts of [2, 3]) expect(run(parts), `${parts} slices`).toEqual(one);
  });
});
