// gMLP (Liu et al. 2021): token mixing by a spatial gating unit. Channel projection to 2F with
// GELU; split into u and v; v = LN(v); v = W v + b along tokens (W is N x N, fixed length);
// out = u * v; projection back to D. The encoder's own LayerNorm and residual wrap it.
import * as tf from '@tensorflow/tfjs';
import { gelu } from '../nn/activations.js';
import type { ForwardContext } from '../nn/context.js';
import { dense } from '../nn/dense.js';
import { ones, uniform, xavierUniform, zeros } from '../nn/initializers.js';
import { layerNorm } from '../nn/layer-norm.js';
import type { Mixer, MixerArgs, MixerSpec } from './types.js';

export interface GmlpOptions {
  /**
   * Width F of each gating half; null means dModel. The paper uses F = 3 dModel (d_ffn = 6
   * dModel before the split) because its blocks have no separate feed-forward; here the
   * encoder's feed-forward follows every mixer.
   */
  hiddenDim: number | null;
}

function hiddenOf(args: MixerArgs, options: GmlpOptions): number {
  return options.hiddenDim ?? args.dModel;
}

function createGmlp(args: MixerArgs, options: GmlpOptions): Mixer {
  const { dModel, seqLen } = args;
  const hidden = hiddenOf(args, options);
  const expand = dense(args.params, 'expand', { inputDim: dModel, units: 2 * hidden, kernelInit: xavierUniform(), biasInit: zeros() });
  const gateNorm = layerNorm(args.params, 'gateNorm', hidden);
  // Near-zero W and b = 1: the gate starts as the identity, so each block starts as an MLP.
  const eps = 1e-3 / seqLen;
  const spatialKernel = args.params.add('spatial/kernel', [seqLen, seqLen], uniform(-eps, eps));
  const spatialBias = args.params.add('spatial/bias', [seqLen], ones());
  const project = dense(args.params, 'project', { inputDim: hidden, units: dModel, kernelInit: xavierUniform(), biasInit: zeros() });

  return {
    apply(x: tf.Tensor3D, mask: tf.Tensor2D | null, _ctx: ForwardContext): tf.Tensor3D {
      const [batch, length] = x.shape;
      if (length > seqLen) throw new Error(`gmlp: its token projection is fixed to ${seqLen} positions, got ${length}`);
      if (mask && (mask.shape[0] !== batch || mask.shape[1] !== length)) {
        throw new Error(`gmlp: mask shape [${mask.shape}] does not match input [${batch}, ${length}]`);
      }
      return tf.tidy(() => {
        const [u, gate] = tf.split(gelu(expand.apply(x)), 2, -1) as tf.Tensor3D[];
        let v: tf.Tensor3D = gateNorm.apply(gate!);
        // Padded positions must not reach real ones through W.
        if (mask) v = tf.mul(v, tf.expandDims(mask, 2));
        // A shorter input is the first `length` positions of a zero-padded one: W's top-left block.
        const w = length === seqLen ? spatialKernel : tf.slice(spatialKernel, [0, 0], [length, length]);
        const b = length === seqLen ? spatialBias : tf.slice(spatialBias, [0], [length]);
        // One 2-D product W [N, N] @ v [N, B*F], tokens leading.
        const tokensFirst = tf.reshape(tf.transpose(v, [1, 0, 2]), [length, batch * hidden]) as tf.Tensor2D;
        const mixed = tf.add(tf.matMul(w as tf.Tensor2D, tokensFirst), tf.expandDims(b, 1));
        const gated = tf.transpose(tf.reshape(mixed, [length, batch, hidden]), [1, 0, 2]);
        return project.apply(tf.mul(u!, gated) as tf.Tensor3D);
      });
    },
  };
}

export const gmlp: MixerSpec<GmlpOptions> = {
  name: 'gmlp',
  title: 'gMLP (spatial gating unit)',
  paper: 'Liu, Dai, So and Le, "Pay Attention to MLPs", NeurIPS 2021',
  kind: 'mlp',
  defaults: { hiddenDim: null },
  create: createGmlp,
  validate(args, options) {
    const hidden = hiddenOf(args, options);
    if (!Number.isInteger(hidden) || hidden < 1) return `hiddenDim must be a positive integer, got ${hidden}`;
    if (!Number.isInteger(args.seqLen) || args.seqLen < 1) return `gmlp needs a fixed positive seqLen, got ${args.seqLen}`;
    return null;
  },
};
