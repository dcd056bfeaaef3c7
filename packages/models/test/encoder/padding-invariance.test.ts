// Padding must not reach real tokens: for every registered mixer (its default options) and every
// block arrangement, changing only what sits at padded positions leaves every block's outputs at
// real positions unchanged. The classifier runs as it is; only the embedding of the padding id
// (0, which no real token uses) changes between the two runs, so the padded positions carry other
// contents while the real ones, the mask and the lengths stay the same.
//
// Each block's output is read where the next block's mixer receives it (ForwardContext
// observeMixer: the block's output itself, or its LayerNorm, a per-position map, in a pre-LN
// block); the last block's output through the logits, which average the real positions only
// (mean pooling; one arrangement pools on a CLS token instead, which some mixers treat apart). Once a mixer has shortened the sequence there is no mask: every position
// is then a mixture of real tokens and is compared.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/index.js';
import { createClassifier } from '../../src/encoder/classifier.js';
import { classifierConfigProblems, type ClassifierConfig } from '../../src/encoder/config.js';
import { mixerNames, type MixerName } from '../../src/mixers/registry.js';
import { trainingContext, type ForwardContext } from '../../src/nn/context.js';
import { paddedTokens, tinyConfig } from './fixtures.js';

/**
 * Mixers whose outputs at real positions depend on padding by design, with the reason. A mixer
 * listed here is checked to really depend on it (so the entry is removed once it stops).
 */
const MIXES_PADDING: ReadonlyMap<string, string> = new Map([
  [
    'fnet',
    "FNet's DFT mixes every position and ignores the mask, as the paper's model does: a DFT over a zeroed tail would still depend on its length",
  ],
]);

/** pre-ln-cls: a pre-LN model pooling on a CLS token, which some mixers treat apart. */
type Arrangement = 'pre-ln' | 'pre-ln-cls' | 'post-ln' | 'recomputed' | 'reversible';
const ARRANGEMENTS: readonly Arrangement[] = ['pre-ln', 'pre-ln-cls', 'post-ln', 'recomputed', 'reversible'];

interface Variant {
  mixer: MixerName;
  mixerOptions: Record<string, unknown>;
  /** Set when its outputs at real positions depend on padding by design: why. */
  mixesPadding?: string;
  /** The arrangements it can be built in; default all (reversible where the config allows it). */
  arrangements?: readonly Arrangement[];
}

/**
 * Every registered mixer with its default options, then the non-default implementations that
 * follow their authors' code (mixer option impl 'reference', other variants).
 */
const VARIANTS: readonly Variant[] = [
  ...mixerNames.map((mixer): Variant => {
    const reason = MIXES_PADDING.get(mixer);
    return { mixer, mixerOptions: {}, ...(reason ? { mixesPadding: reason } : {}) };
  }),
  { mixer: 'fnet', mixerOptions: { impl: 'reference' }, mixesPadding: MIXES_PADDING.get('fnet')! },
  { mixer: 'gfnet', mixerOptions: { impl: 'reference' }, arrangements: ['pre-ln', 'pre-ln-cls', 'recomputed', 'reversible'] },
  // A grid has no place for a CLS token.
  { mixer: 'gfnet', mixerOptions: { impl: 'reference', grid: [4, 4] }, arrangements: ['pre-ln', 'recomputed', 'reversible'] },
  { mixer: 'fftnet', mixerOptions: { variant: 'gelu-dcb3104', impl: 'reference' } },
  { mixer: 'fftnet', mixerOptions: { variant: 'wavelet-3960455' } },
  { mixer: 'fftnet', mixerOptions: { variant: 'wavelet-3960455', impl: 'reference' } },
  // Ports of LRA's code that let padding through where that code does (their defaults above do
  // not at these lengths: one Sinkhorn group of 50 holds every position).
  {
    mixer: 'sinkhorn',
    mixerOptions: { blockSize: 4 },
    mixesPadding: "LRA's Sinkhorn code sums padded keys and values into its sorted slots and masks strided groups with contiguous chunks' padding",
  },
  {
    mixer: 'synthesizer',
    mixerOptions: { mode: 'dense' },
    mixesPadding: "LRA's dense Synthesizer reshapes its [B, N, H, L] scores to [B, H, N, L] without transposing: a query's scores come from other positions",
  },
  {
    mixer: 'synthesizer',
    mixerOptions: { ignoreDotProduct: true },
    mixesPadding: "LRA's Synthesizer without the dot product applies no padding mask",
  },
  { mixer: 's4d', mixerOptions: { impl: 'reference' } },
  // Chunked attention (a ragged tail padded inside the mixer) with the laplace function.
  { mixer: 'mega', mixerOptions: { chunkSize: 5, attentionActivation: 'laplace', relativePositions: 'rotary' } },
  { mixer: 'long-conv', mixerOptions: { bidirectional: true, smoothingWindow: 3 } },
  { mixer: 'hyena', mixerOptions: { bidirectional: true } },
  {
    mixer: 'fourier-transformer',
    mixerOptions: { impl: 'reference' },
    mixesPadding: "the authors' code runs its DCT over the padded positions too (it passes no mask to it); impl 'clean' zeroes them",
  },
];

/**
 * Lengths tried in turn: a mixer runs at the first its default options take (LRA-sized defaults,
 * such as nystromformer's 64 landmarks, need more than 16 tokens).
 */
const SEQ_LENS = [16, 64, 256];
/** Padded positions at the end of the second row (the first is all real). */
const PADDED = 7;

function configFor({ mixer, mixerOptions }: Variant, arrangement: Arrangement): ClassifierConfig {
  const at = (seqLen: number): ClassifierConfig =>
    tinyConfig({
      mixer,
      mixerOptions,
      seqLen,
      layers: 3,
      dropout: 0,
      attentionDropout: 0,
      // Mean pooling: the logits see every real position of the last block.
      pool: arrangement === 'pre-ln-cls' ? 'cls' : 'mean',
      block: arrangement === 'post-ln' ? 'post-ln' : 'pre-ln',
      ...(arrangement === 'recomputed' ? { recompute: 'block' as const } : {}),
      ...(arrangement === 'reversible' ? { reversible: true } : {}),
    });
  // Whether reversible blocks are allowed is the test's to find out, not a reason to grow.
  const fits = (config: ClassifierConfig) => classifierConfigProblems(config).every((p) => p.includes('reversible'));
  return SEQ_LENS.map(at).find(fits) ?? at(SEQ_LENS[0]!);
}

interface Observed {
  /** Each block's input as its mixer saw it, at the positions that are real (all once shortened). */
  blockInputs: Float32Array[];
  logits: Float32Array;
}

/** Values at real positions of x [B, N, D] under mask [B, N] (all of them without a mask). */
function realPositions(x: Float32Array, mask: Float32Array | null, width: number): Float32Array {
  if (!mask) return x.slice();
  const kept: number[] = [];
  for (let p = 0; p < mask.length; p++) if (mask[p] === 1) for (let c = 0; c < width; c++) kept.push(x[p * width + c]!);
  return Float32Array.from(kept);
}

function observe(config: ClassifierConfig, tokens: tf.Tensor2D, paddingEmbedding: Float32Array | null): Observed {
  const model = createClassifier(config, 7);
  try {
    if (paddingEmbedding) {
      const table = model.params.get('embed/tokens');
      const rows = tf.tensor2d(paddingEmbedding, [1, config.dModel]);
      const rest = tf.slice(table, [1, 0], [config.vocabSize - 1, config.dModel]);
      const changed = tf.concat([rows, rest], 0);
      table.assign(changed);
      tf.dispose([rows, rest, changed]);
    }
    const blockInputs: Float32Array[] = [];
    // A training context (dropout is 0) so that recomputed blocks take their recomputing path;
    // both runs draw the same seeds.
    const base = trainingContext(3, 0);
    const ctx: ForwardContext = {
      ...base,
      observeMixer: (_mixer, input, mask) => {
        blockInputs.push(realPositions(input.dataSync() as Float32Array, mask ? (mask.dataSync() as Float32Array) : null, config.dModel));
      },
    };
    const logits = model.logits({ tokens }, ctx);
    const values = logits.dataSync() as Float32Array;
    logits.dispose();
    return { blockInputs, logits: values.slice() };
  } finally {
    model.dispose();
  }
}

function largestDifference(a: Observed, b: Observed): number {
  expect(b.blockInputs.length).toBe(a.blockInputs.length);
  let worst = 0;
  const pairs: Array<[Float32Array, Float32Array]> = [[a.logits, b.logits], ...a.blockInputs.map((x, i): [Float32Array, Float32Array] => [x, b.blockInputs[i]!])];
  for (const [x, y] of pairs) {
    expect(y.length).toBe(x.length);
    for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i]! - y[i]!));
  }
  return worst;
}

describe('padding reaches no real position', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  it('the exception list names registered mixers only', () => {
    for (const name of MIXES_PADDING.keys()) expect(mixerNames as readonly string[]).toContain(name);
  });

  for (const variant of VARIANTS) {
    const { mixer, mixerOptions } = variant;
    const options = Object.keys(mixerOptions).length ? ` ${JSON.stringify(mixerOptions)}` : '';
    for (const arrangement of variant.arrangements ?? ARRANGEMENTS) {
      const exception = variant.mixesPadding;
      const title = `${mixer}${options}, ${arrangement}${exception ? ': depends on padding by design' : ''}`;
      it(title, () => {
        const config = configFor(variant, arrangement);
        const problems = classifierConfigProblems(config);
        if (arrangement === 'reversible' && problems.some((p) => p.includes('reversible'))) return; // not allowed for this mixer
        expect(problems).toEqual([]);
        if (arrangement === 'reversible') {
          // A mixer that owns its residual is refused only when built.
          try {
            createClassifier(config, 7).dispose();
          } catch (error) {
            expect((error as Error).message).toMatch(/reversible blocks need/);
            return;
          }
        }
        const before = tf.memory().numTensors;
        const tokens = paddedTokens(`padding-${mixer}`, [config.seqLen, config.seqLen - PADDED], config.seqLen, config.vocabSize);
        const padding = Float32Array.from({ length: config.dModel }, (_, c) => 5 * Math.sin(3.1 * c + 1) + 2);
        const first = observe(config, tokens, null);
        const second = observe(config, tokens, padding);
        tokens.dispose();
        expect(first.blockInputs.length).toBe(config.layers);
        const difference = largestDifference(first, second);
        if (exception) expect(difference, 'listed as depending on padding, but it does not').toBeGreaterThan(1e-4);
        else expect(difference).toBeLessThan(1e-6);
        expect(tf.memory().numTensors).toBe(before);
      });
    }
  }
});
