// Mamba (Gu and Dao 2024): a selective state space whose step size, input and output matrices
// depend on the token, as state-spaces/mamba's Mamba block and selective_scan_ref: in_proj to
// (x, z); causal depthwise conv and SiLU on x; x_proj to (dt, B, C); dt_proj and softplus;
// h_t = exp(delta A) h_{t-1} + delta B x_t; y = C h + D x; y * silu(z); out_proj. The recurrence
// runs as a parallel associative scan (mamba-scan.ts).
import * as tf from '@tensorflow/tfjs';
import type { ForwardContext } from '../nn/context.js';
import { dense, type Dense } from '../nn/dense.js';
import { ones, uniform, type Initializer } from '../nn/initializers.js';
import type { ParamScope } from '../nn/params.js';
import { associativeScan } from './mamba-scan.js';
import type { Mixer, MixerArgs, MixerSpec } from './types.js';

export interface MambaOptions {
  /** State size per channel (the paper: 16). */
  dState: number;
  /** Inner width = expand * dModel (the paper: 2). */
  expand: number;
  /** Taps of the causal depthwise convolution (the paper: 4). */
  dConv: number;
  /** Rank of the step-size projection; null means ceil(dModel / 16) as the paper. */
  dtRank: number | null;
  dtMin: number;
  dtMax: number;
  /**
   * A second scan over the reversed sequence with its own conv, projections, A and D, averaged
   * with the forward one before the gate (Vision Mamba's bidirectional block). A causal scan
   * cannot carry information to a CLS token prepended at position 0.
   */
  bidirectional: boolean;
}

/** torch.nn.Linear's and Conv1d's default initialisation: U(+-1/sqrt(fanIn)). */
function torchDefault(fanIn: number): Initializer {
  const bound = 1 / Math.sqrt(fanIn);
  return uniform(-bound, bound);
}

/** dt_proj's bias: the inverse softplus of steps drawn log-uniform in [dtMin, dtMax] (floor 1e-4). */
function inverseSoftplusSteps(dtMin: number, dtMax: number): Initializer {
  return {
    description: `inverseSoftplus(logUniform(${dtMin}, ${dtMax}))`,
    sample: (shape, random) =>
      Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => {
        const dt = Math.max(1e-4, Math.exp(Math.log(dtMin) + random() * (Math.log(dtMax) - Math.log(dtMin))));
        return dt + Math.log(-Math.expm1(-dt));
      }),
  };
}

/** A_log = log(1..dState) for every channel (S4D-Real). */
function s4dRealLog(): Initializer {
  return {
    description: 'log(1..dState)',
    sample: (shape) => Float32Array.from({ length: shape[0]! * shape[1]! }, (_, i) => Math.log(1 + (i % shape[1]!))),
  };
}

function dtRankOf(args: MixerArgs, options: MambaOptions): number {
  return options.dtRank ?? Math.ceil(args.dModel / 16);
}

/** The per-direction part of the block: conv, projections to (dt, B, C), A, D and the scan. */
interface SelectiveBranch {
  /** xIn [B, L, E] (padded positions zeroed), keep [B, L, 1] or null -> y [B, L, E] before the gate. */
  apply(xIn: tf.Tensor3D, keep: tf.Tensor3D | null): tf.Tensor3D;
}

function selectiveBranch(scope: ParamScope, inner: number, rank: number, options: MambaOptions): SelectiveBranch {
  const { dState, dConv } = options;
  const convKernel = scope.add('conv/kernel', [dConv, inner], torchDefault(dConv));
  const convBias = scope.add('conv/bias', [inner], torchDefault(dConv));
  const xProj: Dense = dense(scope, 'xProj', { inputDim: inner, units: rank + 2 * dState, bias: false, kernelInit: torchDefault(inner) });
  const dtProj: Dense = dense(scope, 'dtProj', {
    inputDim: rank,
    units: inner,
    kernelInit: uniform(-1 / Math.sqrt(rank), 1 / Math.sqrt(rank)),
    biasInit: inverseSoftplusSteps(options.dtMin, options.dtMax),
  });
  const aLog = scope.add('aLog', [inner, dState], s4dRealLog(), { decay: false });
  const skip = scope.add('D', [inner], ones(), { decay: false });

  return {
    apply(xIn, keep) {
      const [batch, length] = xIn.shape;
      // Causal depthwise conv: output t sees inputs t - dConv + 1 .. t (zeros before the start).
      const padded = tf.pad(xIn, [[0, 0], [dConv - 1, 0], [0, 0]]);
      let conv: tf.Tensor = tf.add(convBias, tf.mul(tf.slice(padded, [0, 0, 0], [batch, length, inner]), tf.slice(convKernel, [0, 0], [1, inner])));
      for (let k = 1; k < dConv; k++) {
        conv = tf.add(conv, tf.mul(tf.slice(padded, [0, k, 0], [batch, length, inner]), tf.slice(convKernel, [k, 0], [1, inner])));
      }
      const x = tf.mul(conv, tf.sigmoid(conv)) as tf.Tensor3D;
      const [dtLow, bMat, cMat] = tf.split(xProj.apply(x), [rank, dState, dState], -1) as tf.Tensor3D[];
      let delta: tf.Tensor = tf.softplus(dtProj.apply(dtLow!));
      // A padded step changes nothing: delta = 0 gives exp(0 A) = 1 and delta B x = 0.
      if (keep) delta = tf.mul(delta, keep);
      const a = tf.neg(tf.exp(aLog)); // [E, S]
      const delta4 = tf.expandDims(delta, 3); // [B, L, E, 1]
      const decay = tf.exp(tf.mul(delta4, a));
      // delta x first, at [B, L, E]: one full-size product fewer.
      const drive = tf.mul(tf.expandDims(tf.mul(delta, x), 3), tf.expandDims(bMat!, 2));
      const flat: [number, number, number] = [batch, length, inner * dState];
      const states = associativeScan(tf.reshape(decay, flat) as tf.Tensor3D, tf.reshape(drive, flat) as tf.Tensor3D);
      const read = tf.sum(tf.mul(tf.reshape(states, [batch, length, inner, dState]), tf.expandDims(cMat!, 2)), 3);
      return tf.add(read, tf.mul(x, skip)) as tf.Tensor3D;
    },
  };
}

function createMamba(args: MixerArgs, options: MambaOptions): Mixer {
  const { dModel } = args;
  const inner = options.expand * dModel;
  const rank = dtRankOf(args, options);
  const inProj = dense(args.params, 'inProj', { inputDim: dModel, units: 2 * inner, bias: false, kernelInit: torchDefault(dModel) });
  const forward = selectiveBranch(args.params.scope('forward'), inner, rank, options);
  const backward = options.bidirectional ? selectiveBranch(args.params.scope('backward'), inner, rank, options) : null;
  const outProj = dense(args.params, 'outProj', { inputDim: inner, units: dModel, bias: false, kernelInit: torchDefault(inner) });

  return {
    apply(x: tf.Tensor3D, mask: tf.Tensor2D | null, _ctx: ForwardContext): tf.Tensor3D {
      const [batch, length] = x.shape;
      if (mask && (mask.shape[0] !== batch || mask.shape[1] !== length)) {
        throw new Error(`mamba: mask shape [${mask.shape}] does not match input [${batch}, ${length}]`);
      }
      return tf.tidy(() => {
        const [xIn, z] = tf.split(inProj.apply(x), 2, -1) as tf.Tensor3D[];
        const keep = mask ? (tf.expandDims(mask, 2) as tf.Tensor3D) : null;
        // Padded positions enter the conv as zeros and the scan as no-ops, so with trailing
        // padding (as the encoder makes it) real positions see exactly the unpadded sequence.
        const source = keep ? (tf.mul(xIn!, keep) as tf.Tensor3D) : xIn!;
        let y = forward.apply(source, keep);
        if (backward) {
          const flip = (t: tf.Tensor3D) => tf.reverse(t, 1) as tf.Tensor3D;
          const reversed = flip(backward.apply(flip(source), keep ? flip(keep) : null));
          y = tf.mul(tf.add(y, reversed), 0.5) as tf.Tensor3D;
        }
        const gated = tf.mul(y, tf.mul(z!, tf.sigmoid(z!))) as tf.Tensor3D;
        return outProj.apply(gated);
      });
    },
  };
}

export const mamba: MixerSpec<MambaOptions> = {
  name: 'mamba',
  title: 'Mamba (selective state space)',
  paper: 'Gu and Dao, "Mamba: Linear-Time Sequence Modeling with Selective State Spaces", COLM 2024 (arXiv:2312.00752)',
  kind: 'state-space',
  // expand 1 and dState 8 rather than the paper's 2 and 16: the scan's state is
  // [B, L, expand * dModel, dState] per direction, four times smaller so, and elementwise work
  // on it dominates on wasm: a tiny ListOps step (B 32, L 65, D 64, two layers) took 0.9 s
  // against 2.7 s with the paper's sizes.
  defaults: { dState: 8, expand: 1, dConv: 4, dtRank: null, dtMin: 1e-3, dtMax: 1e-1, bidirectional: true },
  create: createMamba,
  validate(args, options) {
    for (const key of ['dState', 'expand', 'dConv'] as const) {
      if (!Number.isInteger(options[key]) || options[key] < 1) return `${key} must be a positive integer, got ${options[key]}`;
    }
    const rank = dtRankOf(args, options);
    if (!Number.isInteger(rank) || rank < 1) return `dtRank must be a positive integer, got ${rank}`;
    if (!(options.dtMin > 0 && options.dtMax >= options.dtMin)) {
      return `need 0 < dtMin <= dtMax, got dtMin ${options.dtMin}, dtMax ${options.dtMax}`;
    }
    return null;
  },
};
