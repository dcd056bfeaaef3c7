import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/index.js';
import { lshAttentionHeads, lshLayout, lshSortOrder, reformer, SELF_SCORE } from '../../src/mixers/reformer.js';
import { ParamStore } from '../../src/nn/params.js';
import { seededUniform } from '../support/random.js';
import {
  buildMixer,
  dot64,
  headTensor,
  inputValues,
  leakedTensors,
  maxAbsDiff,
  mixerGradients,
  outputAt,
  paddingChangesNothing,
  softmaxFromScores64,
  tailMask,
  type Heads64,
} from './attention-family.js';
import { trainsOnSyntheticTask } from './support/trains.js';

const dims: Heads64 = { bh: 3, n: 10, d: 4 };
const qk = seededUniform('reformer-qk', dims.bh * dims.n * dims.d, -1.5, 1.5);
const v = seededUniform('reformer-v', dims.bh * dims.n * dims.d);
// Head row 0 has its last three positions padded.
const real = (h: number, j: number) => h !== 0 || j < dims.n - 3;
const realKeys = () =>
  tf.tensor2d(
    Array.from({ length: dims.bh * dims.n }, (_, t) => (real(Math.floor(t / dims.n), t % dims.n) ? 1 : 0)),
    [dims.bh, dims.n],
  );

function unitKey(h: number, j: number): number[] {
  const base = (h * dims.n + j) * dims.d;
  const row = Array.from(qk.subarray(base, base + dims.d));
  const norm = Math.sqrt(row.reduce((s, a) => s + a * a, 0) + 1e-6);
  return row.map((a) => a / norm);
}

/** Shared-QK score of query i and key j as the reformer defines it (self: -5e4; padding: left out). */
function score(h: number, i: number, j: number): number | null {
  if (!real(h, j)) return null;
  if (i === j) return SELF_SCORE;
  return dot64(qk, (h * dims.n + i) * dims.d, unitKey(h, j), 0, dims.d);
}

function lsh(options: { bucketSize: number; hashes: number; seed?: number }): Float32Array {
  return tf.tidy(
    () =>
      lshAttentionHeads(headTensor(qk, dims), headTensor(v, dims), realKeys(), { seed: 9, ...options }).dataSync() as Float32Array,
  );
}

/** The chunked algorithm in float64, given each round's sort order [BH*R, Np]. */
function chunkedReference(sorted: Int32Array, bucketSize: number, hashes: number): Float64Array {
  const { chunk, chunks, padded } = lshLayout(dims.n, bucketSize);
  const out = new Float64Array(dims.bh * dims.n * dims.d);
  for (let h = 0; h < dims.bh; h++) {
    const perRound: { o: Float64Array; lse: Float64Array }[] = [];
    for (let r = 0; r < hashes; r++) {
      const order = sorted.subarray((h * hashes + r) * padded, (h * hashes + r + 1) * padded);
      const o = new Float64Array(padded * dims.d);
      const lse = new Float64Array(padded);
      for (let slot = 0; slot < padded; slot++) {
        const i = order[slot]!;
        const c = Math.floor(slot / chunk);
        const keySlots = [c, (c - 1 + chunks) % chunks].flatMap((cc) => Array.from({ length: chunk }, (_, t) => cc * chunk + t));
        const scores = keySlots.map((ks) => {
          const j = order[ks]!;
          if (j >= dims.n || !real(h, j)) return -1e9;
          if (i === j) return SELF_SCORE;
          return i >= dims.n ? 0 : dot64(qk, (h * dims.n + i) * dims.d, unitKey(h, j), 0, dims.d);
        });
        const max = Math.max(...scores);
        const total = scores.reduce((s, a) => s + Math.exp(a - max), 0);
        lse[i] = max + Math.log(total);
        keySlots.forEach((ks, t) => {
          const j = order[ks]!;
          if (j >= dims.n) return;
          const weight = Math.exp(scores[t]! - lse[i]!);
          for (let cc = 0; cc < dims.d; cc++) o[i * dims.d + cc] += weight * v[(h * dims.n + j) * dims.d + cc]!;
        });
      }
      perRound.push({ o, lse });
    }
    for (let i = 0; i < dims.n; i++) {
      const logits = perRound.map((p) => p.lse[i]!);
      const max = Math.max(...logits);
      const weights = logits.map((l) => Math.exp(l - max));
      const total = weights.reduce((s, a) => s + a, 0);
      perRound.forEach((p, r) => {
        for (let c = 0; c < dims.d; c++) out[(h * dims.n + i) * dims.d + c] += (weights[r]! / total) * p.o[i * dims.d + c]!;
      });
    }
  }
  return out;
}

const realRows = (i: number) => real(Math.floor(i / (dims.n * dims.d)), Math.floor(i / dims.d) % dims.n);
const sizes = { batch: 2, length: 9, dModel: 8, heads: 2 };

describe('reformer (LSH attention)', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  for (const hashes of [1, 2]) {
    it(`with one bucket equals full shared-QK attention with the self-mask (${hashes} hash rounds)`, () => {
      const expected = softmaxFromScores64(dims, score, v);
      expect(maxAbsDiff(lsh({ bucketSize: dims.n, hashes }), expected, realRows)).toBeLessThan(2e-5);
      expect(maxAbsDiff(lsh({ bucketSize: 64, hashes }), expected, realRows)).toBeLessThan(2e-5);
    });
  }

  it('sorts stably by (hash bucket, position), with padding in a bucket after every real one', () => {
    const padded = 12;
    const buckets = 4;
    const x = seededUniform('sort-x', dims.bh * padded * dims.d, -1, 1);
    const realPadded = (h: number, j: number) => j < dims.n && real(h, j);
    const { sorted, inverse } = tf.tidy(() => {
      const order = lshSortOrder(
        tf.tensor3d(Float32Array.from(x), [dims.bh, padded, dims.d]),
        tf.tensor2d(Array.from({ length: dims.bh * padded }, (_, t) => (realPadded(Math.floor(t / padded), t % padded) ? 1 : 0)), [dims.bh, padded]),
        2,
        buckets,
        9,
      );
      return { sorted: order.sorted.dataSync() as Int32Array, inverse: order.inverse.dataSync() as Int32Array };
    });
    const rotations = tf.tidy(() => tf.randomNormal([dims.d, 2 * (buckets / 2)], 0, 1, 'float32', 9).dataSync());
    for (let h = 0; h < dims.bh; h++) {
      for (let r = 0; r < 2; r++) {
        const bucketOf = (j: number): number => {
          if (!realPadded(h, j)) return buckets;
          const rotated = Array.from({ length: buckets / 2 }, (_, c) => {
            let s = 0;
            for (let e = 0; e < dims.d; e++) s += x[(h * padded + j) * dims.d + e]! * rotations[e * 2 * (buckets / 2) + r * (buckets / 2) + c]!;
            return s;
          });
          const both = [...rotated, ...rotated.map((a) => -a)];
          return both.indexOf(Math.max(...both));
        };
        const expected = Array.from({ length: padded }, (_, j) => j).sort((a, b) => bucketOf(a) - bucketOf(b) || a - b);
        const row = (h * 2 + r) * padded;
        expect(Array.from(sorted.subarray(row, row + padded))).toEqual(expected);
        for (let j = 0; j < padded; j++) expect(sorted[row + inverse[row + j]!]).toBe(j);
      }
    }
  });

  for (const [bucketSize, hashes] of [[2, 2], [3, 3], [4, 1]] as const) {
    it(`chunks, looks one chunk back and combines rounds as the float64 algorithm (bucket ${bucketSize}, ${hashes} rounds)`, () => {
      const { padded, buckets } = lshLayout(dims.n, bucketSize);
      const sorted = tf.tidy(() => {
        const pad = padded - dims.n;
        const qkP = tf.pad(headTensor(qk, dims), [[0, 0], [0, pad], [0, 0]]);
        return lshSortOrder(qkP, tf.pad(realKeys(), [[0, 0], [0, pad]]), hashes, buckets, 9).sorted.dataSync() as Int32Array;
      });
      const expected = chunkedReference(sorted, bucketSize, hashes);
      expect(maxAbsDiff(lsh({ bucketSize, hashes }), expected, realRows)).toBeLessThan(2e-5);
    });
  }

  it('has gradients matching finite differences for the input and every parameter', () => {
    const built = buildMixer(reformer, { bucketSize: 2, hashes: 2 }, sizes);
    const { scaled } = mixerGradients(built, inputValues('reformer-g', sizes), tailMask(sizes, [2, 0]), sizes, { eps: 1e-3 });
    expect(Object.keys(scaled).sort()).toEqual(['input', 'mixer/output/kernel', 'mixer/queryKey/kernel', 'mixer/value/kernel']);
    for (const [name, error] of Object.entries(scaled)) expect(error, name).toBeLessThanOrEqual(1);
    built.store.dispose();
  });

  it('ignores the content of padded positions', () => {
    const built = buildMixer(reformer, { bucketSize: 2, hashes: 2 }, sizes);
    expect(paddingChangesNothing(built, sizes, tailMask(sizes, [3, 1]), inputValues('rp', sizes))).toBeLessThan(1e-6);
    built.store.dispose();
  });

  for (const length of [1, 7, 65, 1025]) {
    it(`maps [B, ${length}, D] to [B, ${length}, D] with finite values`, () => {
      const s = { ...sizes, length };
      const built = buildMixer(reformer, {}, s);
      expect(outputAt(built, s)).toEqual({ shape: [2, length, 8], finite: true });
      built.store.dispose();
    });
  }

  it('lays out chunks and an even number of buckets', () => {
    expect(lshLayout(10, 64)).toEqual({ chunk: 10, chunks: 1, padded: 10, buckets: 1 });
    expect(lshLayout(257, 64)).toEqual({ chunk: 64, chunks: 5, padded: 320, buckets: 6 });
    expect(lshLayout(1024, 64)).toEqual({ chunk: 64, chunks: 16, padded: 1024, buckets: 16 });
  });

  it('validates its options', () => {
    const args = { dModel: 8, heads: 2, seqLen: 9, dropout: 0, attentionDropout: 0, layer: 0, params: new ParamStore(1) };
    expect(reformer.validate!(args, { ...reformer.defaults, bucketSize: 0 })).toBe('bucketSize must be a positive integer, got 0');
    expect(reformer.validate!(args, { ...reformer.defaults, hashes: 0 })).toBe('hashes must be a positive integer, got 0');
    expect(reformer.validate!(args, reformer.defaults)).toBeNull();
  });

  it('leaves no tensors behind', () => {
    const built = buildMixer(reformer, { bucketSize: 2 }, sizes, { attentionDropout: 0.1 });
    expect(leakedTensors(built, sizes)).toBe(0);
    built.store.dispose();
  });

  it('trains: a few dozen steps lower the loss of a synthetic task', () => {
    const { firstLoss, lastLoss, leaked } = trainsOnSyntheticTask('reformer', { bucketSize: 4 }, { steps: 40 });
    expect(lastLoss).toBeLessThan(0.8 * firstLoss);
    expect(leaked).toBe(0);
  });
});
