// Long convolutions (Fu, Epstein, Nguyen, Thomas, Zhang, Dao, Rudra, Re, ICML 2023;
// HazyResearch/safari src/models/sequence/long_conv.py, LongConv): a kernel as long as the
// sequence, learned directly (long-conv-kernel.ts), `channels` kernels per feature:
//   y_c = k_c * u + D_c u (an FFT convolution per channel c and feature h),
//   then GELU, dropout and a Linear(C H -> 2H) with a GLU.
// Causal by default, as safari's LRA configs (a CLS token in front is moved last while it runs,
// option clsPosition, as hyena's); bidirectional as the reference: twice the kernels,
// the second set running backwards over strictly later positions (s4's layout
// pad(k0, (0, L)) + pad(flip(k1), (L, 0)), as s4d.ts).
// The kernel parameters take no weight decay and their own learning rate (the reference's
// OptimModule.register(lr, wd=0)); D and the output Linear follow the run's.
import * as tf from '@tensorflow/tfjs';
import { convolutionImpulseResponse } from './kernel-inspection.js';
import type { MixerInspection } from '../analysis/inspection.js';
import { gelu } from '../nn/activations.js';
import { inferenceContext, type ForwardContext } from '../nn/context.js';
import { dense } from '../nn/dense.js';
import { dropout } from '../nn/dropout.js';
import { normal, uniform } from '../nn/initializers.js';
import { fftconv, toeplitzMatvec } from '../spectral/index.js';
import { longConvInitializer, longConvKernel, type LongConvWeightInit } from './long-conv-kernel.js';
import { withClsLast } from './cls-last.js';
import type { Mixer, MixerArgs, MixerSpec } from './types.js';

export interface LongConvOptions {
  /** Kernels per feature (the reference's channels, "heads"): the output Linear reads C H features. */
  channels: number;
  /** A second set of kernels over later positions. */
  bidirectional: boolean;
  /** The squash's threshold (the reference's kernel_lam / lam). */
  lam: number;
  /** Dropout on the kernel's entries while training. */
  kernelDropout: number;
  /** The kernel's own peak learning rate (the reference's kernel learning_rate). */
  kernelLr: number;
  /** Moving-average smoothing of the kernel over this many lags (odd), or null for none. */
  smoothingWindow: number | null;
  weightInit: LongConvWeightInit;
  /**
   * Where the encoder's CLS token (if any) sits while the convolution runs: 'last' moves it behind
   * the tokens so that a causal convolution lets it read the whole sequence, then back to the
   * front; 'first' leaves it in front (causal: it reads only itself). As hyena's option.
   */
  clsPosition: 'last' | 'first';
}

/** Coefficients by offset j - i for toeplitzMatvec: k0 at j - i = -m, k1 entry m - 1 at +m. */
function twoSided(forward: tf.Tensor2D, backward: tf.Tensor2D, length: number): tf.Tensor2D {
  const parts = [tf.reverse(forward, -1)];
  if (length > 1) parts.push(tf.slice(backward, [0, 0], [-1, length - 1]));
  return tf.concat(parts, 1) as tf.Tensor2D;
}

function createLongConv(args: MixerArgs, options: LongConvOptions): Mixer {
  const { dModel, seqLen } = args;
  const { channels } = options;
  const rows = channels * dModel;
  const kernelSets = options.bidirectional ? 2 : 1;
  const kernel = args.params.add('kernel', [kernelSets * channels, dModel, seqLen], longConvInitializer(options.weightInit), {
    decay: false,
    lr: options.kernelLr,
  });
  const skip = args.params.add('D', [channels, dModel], normal(1));
  // torch's Linear default, U(+-1/sqrt(fanIn)) for weight and bias (the reference's initializer null).
  const bound = 1 / Math.sqrt(rows);
  const output = dense(args.params, 'output', { inputDim: rows, units: 2 * dModel, kernelInit: uniform(-bound, bound), biasInit: uniform(-bound, bound) });
  const kernelOptions = { lam: options.lam, smoothingWindow: options.smoothingWindow, kernelDropout: options.kernelDropout };

  /** The kernels at length L, [sets * C * H, L] (forward rows first). Call inside tf.tidy. */
  const kernels = (length: number, ctx: ForwardContext): tf.Tensor2D =>
    tf.reshape(longConvKernel(kernel, length, kernelOptions, ctx), [kernelSets * rows, length]) as tf.Tensor2D;

  /** The layer on x [B, N, D] in its own order. */
  const layer = (x: tf.Tensor3D, mask: tf.Tensor2D | null, ctx: ForwardContext): tf.Tensor3D => {
    const length = x.shape[1];
    return tf.tidy(() => {
      // Padded positions are zeroed, as the reference masks its inputs beyond their lengths.
      const u = mask ? tf.mul(x, tf.expandDims(mask, 2)) : x;
      const channelsFirst = tf.transpose(u, [0, 2, 1]) as tf.Tensor3D; // [B, H, L]
      // Every channel's copy of the input, rows ordered (c, h) as the reference's '(c h)'.
      const copies = channels === 1 ? channelsFirst : (tf.concat(new Array<tf.Tensor3D>(channels).fill(channelsFirst), 1) as tf.Tensor3D);
      const k = kernels(length, ctx);
      const convolved = options.bidirectional
        ? toeplitzMatvec(twoSided(tf.slice(k, [0, 0], [rows, -1]), tf.slice(k, [rows, 0], [rows, -1]), length), copies)
        : fftconv(copies, k);
      const y = tf.add(convolved, tf.mul(copies, tf.reshape(skip, [rows, 1])));
      const activated = dropout(gelu(tf.transpose(y, [0, 2, 1]) as tf.Tensor3D), args.dropout, ctx);
      const [value, gate] = tf.split(output.apply(activated), 2, -1);
      return tf.mul(value!, tf.sigmoid(gate!)) as tf.Tensor3D;
    });
  };

  const clsLast = (args.hasCls ?? false) && options.clsPosition === 'last';
  return {
    apply(x: tf.Tensor3D, mask: tf.Tensor2D | null, ctx: ForwardContext): tf.Tensor3D {
      const [batch, length] = x.shape;
      if (length > seqLen) throw new Error(`long-conv: input length ${length} exceeds the length ${seqLen} it was built for`);
      if (mask && (mask.shape[0] !== batch || mask.shape[1] !== length)) {
        throw new Error(`long-conv: mask shape [${mask.shape}] does not match input [${batch}, ${length}]`);
      }
      if (!clsLast) return layer(x, mask, ctx);
      return withClsLast((moved, movedMask) => layer(moved, movedMask, ctx), x, mask);
    },
    inspect(x: tf.Tensor3D): MixerInspection {
      const length = x.shape[1];
      // Each (channel, feature) row's convolution with D, both directions when bidirectional.
      const k = kernels(length, inferenceContext());
      const causal = tf.slice(k, [0, 0], [rows, -1]) as tf.Tensor2D;
      const anticausal = options.bidirectional ? (tf.slice(k, [rows, 0], [rows, -1]) as tf.Tensor2D) : null;
      const side = options.bidirectional ? 'two-sided' : 'causal';
      const view = convolutionImpulseResponse(`long kernel + D skip (${side}), rows (channel, feature)`, causal, anticausal, skip);
      tf.dispose([k, causal, ...(anticausal ? [anticausal] : [])]);
      return { impulseResponses: [view] };
    },
  };
}

export const longConv: MixerSpec<LongConvOptions> = {
  name: 'long-conv',
  title: 'Long convolutions (directly learned kernels, squashed)',
  paper: 'Fu, Epstein, Nguyen, Thomas, Zhang, Dao, Rudra, Re, "Simple Hardware-Efficient Long Convolutions for Sequence Modeling", ICML 2023',
  kind: 'convolution',
  // safari's configs/model/layer/long-conv.yaml with experiment/lra/long-conv-lra-listops.yaml's
  // overrides (lam 0.002, kernel learning rate 5e-4, kernel dropout 0.2).
  defaults: { channels: 2, bidirectional: false, lam: 0.002, kernelDropout: 0.2, kernelLr: 5e-4, smoothingWindow: null, weightInit: 'random', clsPosition: 'last' },
  nullable: ['smoothingWindow'],
  choices: { weightInit: ['random', 'double-exp'], clsPosition: ['last', 'first'] },
  create: createLongConv,
  validate(_args, options) {
    if (!(Number.isInteger(options.channels) && options.channels > 0)) return `channels must be a positive integer, got ${options.channels}`;
    if (!(options.lam >= 0)) return `lam must be >= 0, got ${options.lam}`;
    if (!(options.kernelDropout >= 0 && options.kernelDropout < 1)) return `kernelDropout must be in [0, 1), got ${options.kernelDropout}`;
    if (!(options.kernelLr > 0)) return `kernelLr must be positive, got ${options.kernelLr}`;
    const window = options.smoothingWindow;
    if (window !== null && !(Number.isInteger(window) && window > 0 && window % 2 === 1)) {
      return `smoothingWindow must be an odd positive integer or null, got ${window}`;
    }
    return null;
  },
};
