// Hyena operator of order 2 (Poli et al., ICML 2023; HazyResearch/safari standalone_hyena.py):
//   u = in_proj(x) (D -> 3D); u = causal depthwise conv (kernel 3) of u; x0, x1, v = split(u)
//   v = v * x1;  v = (h * v) + bias * v  (a long causal convolution by FFT);  y = out_proj(v * x0)
// The long filter h [N, D] is implicit: an MLP of a positional code z(t) with sine activations,
// times an exponential decay per channel.
//
// Optimisation as the reference: the implicit filter's MLP and its sine frequency take no weight
// decay and their own peak learning rate 1e-3 ({ decay: false, lr: 1e-3 }, under the run's
// schedule shape).
// The reference's positional code z is a parameter with lr 1e-5 (it barely moves); here it is
// fixed. Initialisation follows torch's defaults (U(+-1/sqrt(fanIn)) for Linear and Conv1d), as
// the reference never overrides them: the sine MLP's behaviour depends on it.
//
// Causal by default: position t only sees positions <= t, so trailing padding never reaches a real
// token; padded positions are also zeroed before both convolutions, so padding anywhere is harmless.
// Option bidirectional (LRA is not causal): the implicit filter gives 2D channels, the first D a
// causal filter as before, the last D one over strictly later positions, in s4's two-kernel layout
// pad(h0, (0, N)) + pad(flip(h1), (N, 0)) (safari's Hyena has no two-sided variant; s4d.ts and
// long-conv.ts use the same layout). The short depthwise convolution stays causal.
// A CLS token in front would read only itself: by default it is moved behind the tokens while
// the operator runs (option clsPosition), so a CLS-pooled classifier sees the whole sequence.
import * as tf from '@tensorflow/tfjs';
import type { ForwardContext } from '../nn/context.js';
import { dense, type Dense } from '../nn/dense.js';
import { constant, normal, uniform, type Initializer } from '../nn/initializers.js';
import type { ParamScope } from '../nn/params.js';
import { fftconv, toeplitzMatvec } from '../spectral/index.js';
import type { MixerInspection } from '../analysis/inspection.js';
import { withClsLast } from './cls-last.js';
import type { Mixer, MixerArgs, MixerSpec } from './types.js';

export interface HyenaOptions {
  /** Width of the implicit filter's MLP (the reference's filter_order). */
  filterWidth: number;
  /** Hidden Linear + Sin layers between the first and the last (the reference's num_inner_mlps). */
  filterInnerLayers: number;
  /** Initial frequency of the sine activations (the reference's w). */
  sineFrequency: number;
  /**
   * Where the encoder's CLS token (if any) sits while the causal operator runs: 'last' moves it
   * behind the tokens so it reads the whole sequence, and back to the front afterwards; 'first'
   * leaves it in front, where a causal operator gives it nothing but itself to read.
   */
  clsPosition: 'last' | 'first';
  /** The long filter reaches later positions too (a second filter from the same MLP); default false: causal. */
  bidirectional: boolean;
}

const SHORT_KERNEL = 3;
// Exponential modulation as the reference: decay rates from ln(target)/slow to ln(target)/fast.
const MODULATION_TARGET = 1e-2;
const SLOW_DECAY = 1.5;
const FAST_DECAY = 0.3;
// One band of the complex exponential positional code, at frequency 1e-4.
const POSITIONAL_BAND = 1e-4;

/** torch's default for Linear and Conv1d weights and biases. */
function torchUniform(fanIn: number): Initializer {
  const bound = 1 / Math.sqrt(fanIn);
  return uniform(-bound, bound);
}

/** The implicit filter's fixed inputs: z [N, 3] = [t, cos(f w), -sin(f w)] and decay [N, D]. */
export function hyenaFilterTables(length: number, dModel: number): { z: Float32Array; decay: Float32Array } {
  const z = new Float32Array(length * 3);
  const decay = new Float32Array(length * dModel);
  const slowest = Math.log(MODULATION_TARGET) / SLOW_DECAY;
  const fastest = Math.log(MODULATION_TARGET) / FAST_DECAY;
  for (let i = 0; i < length; i++) {
    const t = length === 1 ? 0 : i / (length - 1);
    const w = (2 * Math.PI * i) / length;
    z[i * 3] = t;
    z[i * 3 + 1] = Math.cos(POSITIONAL_BAND * w);
    z[i * 3 + 2] = -Math.sin(POSITIONAL_BAND * w);
    for (let c = 0; c < dModel; c++) {
      const delta = dModel === 1 ? slowest : slowest + ((fastest - slowest) * c) / (dModel - 1);
      decay[i * dModel + c] = Math.exp(-t * Math.abs(delta));
    }
  }
  return { z, decay };
}

/** The implicit filter's peak learning rate in the reference configs. */
const FILTER_LR = 1e-3;

/** A view of `scope` whose parameters, in every sub-scope, take no weight decay and lr 1e-3. */
function withoutDecay(scope: ParamScope): ParamScope {
  return {
    prefix: scope.prefix,
    add: (name, shape, init) => scope.add(name, shape, init, { decay: false, lr: FILTER_LR }),
    scope: (name) => withoutDecay(scope.scope(name)),
  };
}

function createHyena(args: MixerArgs, options: HyenaOptions): Mixer {
  const { dModel, seqLen } = args;
  const inner = 3 * dModel;
  const p = args.params;
  const linear = (scope: ParamScope, name: string, inputDim: number, units: number, bias = true): Dense =>
    dense(scope, name, { inputDim, units, bias, kernelInit: torchUniform(inputDim), biasInit: torchUniform(inputDim) });

  const inProj = linear(p, 'inProj', dModel, inner);
  const shortKernel = p.add('shortConv/kernel', [SHORT_KERNEL, inner], torchUniform(SHORT_KERNEL));
  const shortBias = p.add('shortConv/bias', [inner], torchUniform(SHORT_KERNEL));

  // The implicit filter's parameters take no weight decay (the reference's wd 0).
  const noDecay = withoutDecay(p.scope('filter'));
  const width = options.filterWidth;
  const filterLayers: Dense[] = [linear(noDecay, 'input', 3, width)];
  for (let i = 0; i < options.filterInnerLayers; i++) filterLayers.push(linear(noDecay, `inner${i}`, width, width));
  const filterSets = options.bidirectional ? 2 : 1;
  const filterOutput = linear(noDecay, 'output', width, filterSets * dModel, false);
  // One frequency vector shared by every Sin of the MLP (the reference reuses one Sin module).
  const frequency = noDecay.add('frequency', [width], constant(options.sineFrequency));
  // The reference's per-channel skip term D (its HyenaFilter.bias): randn, with weight decay.
  const skip = p.add('filter/skip', [dModel], normal(1));
  const outProj = linear(p, 'outProj', dModel, dModel);
  const tables = hyenaFilterTables(seqLen, dModel);

  /** The long filters for the first `length` positions, [sets * D, length] (the causal one first). */
  const longFilter = (length: number): tf.Tensor2D => {
    let h: tf.Tensor = tf.tensor2d(tables.z.subarray(0, length * 3), [length, 3]);
    for (const layer of filterLayers) h = tf.sin(tf.mul(layer.apply(h), frequency));
    // Each set of D channels decays as the causal one does.
    const decay = tf.tensor2d(tables.decay.subarray(0, length * dModel), [length, dModel]);
    h = tf.mul(filterOutput.apply(h), filterSets === 1 ? decay : tf.concat([decay, decay], 1));
    return tf.transpose(h) as tf.Tensor2D;
  };

  /** The long convolution of u [B, D, N]: causal, or two-sided (s4's layout). Call inside tf.tidy. */
  const longConvolution = (u: tf.Tensor3D): tf.Tensor3D => {
    const length = u.shape[2];
    const filters = longFilter(length);
    if (!options.bidirectional) return fftconv(u, filters) as tf.Tensor3D;
    // Coefficients by offset j - i: the causal filter at j - i = -m, the backward one's entry
    // m - 1 at +m.
    const parts = [tf.reverse(tf.slice(filters, [0, 0], [dModel, length]), -1)];
    if (length > 1) parts.push(tf.slice(filters, [dModel, 0], [dModel, length - 1]));
    return toeplitzMatvec(tf.concat(parts, 1), u) as tf.Tensor3D;
  };

  /** The operator on x [B, N, D] in its own order. */
  const operator = (x: tf.Tensor3D, mask: tf.Tensor2D | null): tf.Tensor3D => {
    const [batch, length] = x.shape;
    return tf.tidy(() => {
      const keep = mask ? tf.expandDims(mask, 2) : null;
      const masked = (t: tf.Tensor): tf.Tensor => (keep ? tf.mul(t, keep) : t);
      const projected = masked(inProj.apply(x));
      // Causal depthwise convolution: pad SHORT_KERNEL - 1 zeros in front, keep N outputs.
      const padded = tf.pad(projected, [
        [0, 0],
        [SHORT_KERNEL - 1, 0],
        [0, 0],
      ]);
      const convolved = tf.depthwiseConv2d(
        tf.reshape(padded, [batch, 1, length + SHORT_KERNEL - 1, inner]) as tf.Tensor4D,
        tf.reshape(shortKernel, [1, SHORT_KERNEL, inner, 1]) as tf.Tensor4D,
        1,
        'valid',
      );
      const short = tf.add(tf.reshape(convolved, [batch, length, inner]), shortBias);
      const [x0, x1, v] = tf.split(short, 3, 2) as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D];
      // Channels first for the convolution along tokens: [B, D, N].
      const gated = tf.transpose(masked(tf.mul(v, x1)), [0, 2, 1]);
      const long = tf.add(longConvolution(gated as tf.Tensor3D), tf.mul(gated, tf.reshape(skip, [dModel, 1])));
      return outProj.apply(tf.mul(tf.transpose(long, [0, 2, 1]), x0)) as tf.Tensor3D;
    });
  };

  const clsLast = (args.hasCls ?? false) && options.clsPosition === 'last';
  return {
    apply(x: tf.Tensor3D, mask: tf.Tensor2D | null, _ctx: ForwardContext): tf.Tensor3D {
      const [batch, length] = x.shape;
      if (length > seqLen) throw new Error(`hyena: input length ${length} exceeds the length ${seqLen} it was built for`);
      if (mask && (mask.shape[0] !== batch || mask.shape[1] !== length)) {
        throw new Error(`hyena: mask shape [${mask.shape}] does not match input [${batch}, ${length}]`);
      }
      if (!clsLast) return operator(x, mask);
      return withClsLast(operator, x, mask);
    },
    inspect(x: tf.Tensor3D): MixerInspection {
      const length = x.shape[1];
      // The long convolution's impulse response by offset i - j: the implicit filter h plus the
      // skip term at lag 0 and, two-sided, the backward filter at offsets < 0 (-m takes entry m - 1).
      const response = tf.tidy(() => {
        const lag0 = tf.concat([tf.ones([1, 1]), tf.zeros([1, length - 1])], 1);
        const filters = longFilter(length);
        const causal = tf.add(tf.slice(filters, [0, 0], [dModel, length]), tf.mul(tf.reshape(skip, [dModel, 1]), lag0));
        if (!options.bidirectional || length < 2) return causal;
        return tf.concat([tf.reverse(tf.slice(filters, [dModel, 0], [dModel, length - 1]), -1), causal], 1);
      });
      const values = response.dataSync() as Float32Array;
      const span = response.shape[1]!;
      response.dispose();
      const name = options.bidirectional ? 'long filter h + skip (two-sided)' : 'long filter h + skip (causal)';
      return {
        impulseResponses: [{ name, channels: dModel, firstOffset: length - span, length: span, values }],
      };
    },
  };
}

export const hyena: MixerSpec<HyenaOptions> = {
  name: 'hyena',
  title: 'Hyena operator (order 2)',
  paper:
    'Poli, Massaroli, Nguyen, Fu, Dao, Baccus, Bengio, Ermon, Re, "Hyena Hierarchy: Towards Larger ' +
    'Convolutional Language Models", ICML 2023',
  kind: 'convolution',
  defaults: { filterWidth: 64, filterInnerLayers: 2, sineFrequency: 1, clsPosition: 'last', bidirectional: false },
  choices: { clsPosition: ['last', 'first'] },
  create: createHyena,
  validate(_args, options) {
    if (!(Number.isInteger(options.filterWidth) && options.filterWidth > 0)) {
      return `filterWidth must be a positive integer, got ${options.filterWidth}`;
    }
    if (!(Number.isInteger(options.filterInnerLayers) && options.filterInnerLayers >= 0)) {
      return `filterInnerLayers must be an integer >= 0, got ${options.filterInnerLayers}`;
    }
    return null;
  },
};
