// S4D (Gu et al. 2022): a diagonal state space per channel, run as a long convolution whose
// kernel is a Vandermonde product of the discretised (ZOH) diagonal state matrix. S4D-Lin
// initialisation (or S4D-Inv, S4D-LegS: option `init`), GELU, then a pointwise Conv1d(H -> 2H)
// and a GLU, as state-spaces/s4 models/s4/s4d.py. Complex numbers are carried as (re, im) pairs of float32 tensors.
//
// Bidirectional S4D has two implementations (option `impl`):
// - 'clean' (default): each direction has its own dt, A and C (parameters forward/* and
//   backward/*).
// - 'reference': as state-spaces/s4 (src/models/sequence/ss/standalone/s4d.py, S4D with
//   bidirectional=True): the kernel gets two output channels, so only C is doubled; dt, A and B
//   are shared by both directions (B is folded into C here, as in models/s4/s4d.py). Parameters
//   forward/logDt, forward/logAReal, forward/aImag, forward/cRe, forward/cIm, and backward/cRe,
//   backward/cIm only.
import * as tf from '@tensorflow/tfjs';
import { gelu } from '../nn/activations.js';
import type { ForwardContext } from '../nn/context.js';
import { dense } from '../nn/dense.js';
import { constant, normal, uniform, type Initializer } from '../nn/initializers.js';
import type { ParamScope } from '../nn/params.js';
import { legsNplr } from './hippo.js';
import { fftconv, toeplitzMatvec } from '../spectral/index.js';
import { convolutionImpulseResponse } from './kernel-inspection.js';
import type { MixerInspection } from '../analysis/inspection.js';
import type { Mixer, MixerArgs, MixerSpec } from './types.js';

export interface S4dOptions {
  /** State size N as the paper counts it: N/2 complex modes per channel (their conjugates implied). */
  dState: number;
  /** Smallest and largest initial step sizes (log-uniform between them). */
  dtMin: number;
  dtMax: number;
  /**
   * Two kernels per channel, one run backwards (LRA's S4 models are bidirectional). A causal
   * S4D cannot carry information to a CLS token prepended at position 0.
   */
  bidirectional: boolean;
  /** 'clean': a whole set of SSM parameters per direction; 'reference': the directions share dt and A (see above). */
  impl: 'clean' | 'reference';
  /** Initial diagonal: 'lin' (S4D-Lin), 'inv' (S4D-Inv) or 'legs' (S4D-LegS); see s4dImagInit. */
  init: 'lin' | 'inv' | 'legs';
}

/** The SSM parameters of one set of kernels (one direction). */
export interface S4dKernelParams {
  logDt: tf.Tensor; // [H]
  logAReal: tf.Tensor; // [H, N/2]
  aImag: tf.Tensor; // [H, N/2]
  cRe: tf.Tensor; // [H, N/2]
  cIm: tf.Tensor; // [H, N/2]
}

/**
 * The ZOH convolution kernel K [H, L]: K_l = 2 Re sum_n C_n (exp(dt A_n) - 1) / A_n exp(dt A_n l),
 * A_n = -exp(logAReal) + i aImag. Call inside tf.tidy.
 */
export function s4dKernel(p: S4dKernelParams, length: number): tf.Tensor2D {
  return tf.tidy(() => {
    const dt = tf.expandDims(tf.exp(p.logDt), 1); // [H, 1]
    const aRe = tf.neg(tf.exp(p.logAReal));
    const aIm = p.aImag;
    const dtARe = tf.mul(aRe, dt);
    const dtAIm = tf.mul(aIm, dt);
    // (exp(dt A) - 1) / A = (e - 1) conj(A) / |A|^2
    const decay = tf.exp(dtARe);
    const numRe = tf.sub(tf.mul(decay, tf.cos(dtAIm)), 1);
    const numIm = tf.mul(decay, tf.sin(dtAIm));
    const norm = tf.add(tf.square(aRe), tf.square(aIm));
    const fracRe = tf.div(tf.add(tf.mul(numRe, aRe), tf.mul(numIm, aIm)), norm);
    const fracIm = tf.div(tf.sub(tf.mul(numIm, aRe), tf.mul(numRe, aIm)), norm);
    const wRe = tf.sub(tf.mul(p.cRe, fracRe), tf.mul(p.cIm, fracIm)); // [H, n]
    const wIm = tf.add(tf.mul(p.cRe, fracIm), tf.mul(p.cIm, fracRe));
    // Vandermonde: exp(dt A l) for l = 0..L-1, [H, n, L].
    const steps = tf.reshape(tf.range(0, length, 1, 'float32'), [1, 1, length]);
    const magnitude = tf.exp(tf.mul(tf.expandDims(dtARe, 2), steps));
    const phase = tf.mul(tf.expandDims(dtAIm, 2), steps);
    const powRe = tf.mul(magnitude, tf.cos(phase));
    const powIm = tf.mul(magnitude, tf.sin(phase));
    const real = tf.sub(tf.mul(tf.expandDims(wRe, 2), powRe), tf.mul(tf.expandDims(wIm, 2), powIm));
    return tf.mul(tf.sum(real, 1), 2) as tf.Tensor2D;
  });
}

/**
 * The state-space part of S4D on u [B, H, L] (without the D skip): the causal convolution with
 * the forward kernel, plus, when `backward` is given, the anti-causal one with the backward
 * kernel (strictly later positions only, as s4's layout pad(k0, (0, L)) + pad(flip(k1), (L, 0))
 * of one 2L circular convolution). Call inside tf.tidy.
 */
export function s4dConvolution(forward: S4dKernelParams, backward: S4dKernelParams | null, u: tf.Tensor3D): tf.Tensor3D {
  const [, channels, length] = u.shape;
  const causal = s4dKernel(forward, length);
  if (!backward) return fftconv(u, causal) as tf.Tensor3D;
  // One Toeplitz product: offsets j - i <= 0 take the causal kernel, offsets > 0 the backward
  // kernel shifted by one.
  const parts = [tf.reverse(causal, -1)];
  if (length > 1) parts.push(tf.slice(s4dKernel(backward, length), [0, 0], [channels, length - 1]));
  return toeplitzMatvec(tf.concat(parts, -1), u) as tf.Tensor3D;
}

// S4's LRA configs: SSM parameters without weight decay, at their own peak rate 1e-3.
const SSM_PARAM = { decay: false, lr: 1e-3 };

/**
 * The imaginary parts of A's initial diagonal (A = -1/2 + i aImag), as dplr() in state-spaces/s4
 * (kernels/dplr.py) for n = 0..N/2-1: S4D-Lin pi n; S4D-Inv N/pi (N/(2n+1) - 1), from the
 * asymptotics of HiPPO-LegS's eigenvalues; S4D-LegS the eigenvalues themselves (the diagonal of
 * S4's DPLR HiPPO-LegS, hippo.ts). The reference's A has the opposite imaginary sign; with C drawn
 * symmetric in phase the kernels are the same family.
 */
export function s4dImagInit(init: S4dOptions['init'], dState: number): Float64Array {
  const modes = dState / 2;
  if (init === 'legs') return legsNplr(dState).lambdaIm.map((v) => -v);
  return Float64Array.from({ length: modes }, (_, n) => (init === 'lin' ? Math.PI * n : (dState / Math.PI) * (dState / (2 * n + 1) - 1)));
}

/**
 * C: torch.randn(cfloat), real and imaginary parts each of variance 1/2, times |B_n| where the
 * init has a B: B is folded into C here (models/s4/s4d.py has B = 1), and the reference's 'legs'
 * S4D takes B from HiPPO-LegS (dplr's B_init 'legs'); C B is then complex normal of variance |B_n|^2.
 */
function outputProjection(scope: ParamScope, channels: number, modes: number, options: S4dOptions): Pick<S4dKernelParams, 'cRe' | 'cIm'> {
  if (options.init !== 'legs') {
    return {
      cRe: scope.add('cRe', [channels, modes], normal(Math.SQRT1_2)),
      cIm: scope.add('cIm', [channels, modes], normal(Math.SQRT1_2)),
    };
  }
  const hippo = legsNplr(options.dState);
  const scaled: Initializer = {
    description: 'normal(sqrt(1/2)) * |B_n| (HiPPO-LegS B)',
    sample: (shape, random) =>
      normal(Math.SQRT1_2)
        .sample(shape, random)
        .map((v, i) => v * Math.hypot(hippo.bRe[i % modes]!, hippo.bIm[i % modes]!)),
  };
  return { cRe: scope.add('cRe', [channels, modes], scaled), cIm: scope.add('cIm', [channels, modes], scaled) };
}

function kernelParams(scope: ParamScope, channels: number, modes: number, options: S4dOptions): S4dKernelParams {
  const ssm = SSM_PARAM;
  const logDtInit = uniform(Math.log(options.dtMin), Math.log(options.dtMax));
  const imag = s4dImagInit(options.init, options.dState);
  const aImagInit: Initializer = {
    description: `S4D-${options.init === 'lin' ? 'Lin' : options.init === 'inv' ? 'Inv' : 'LegS'} imaginary parts`,
    sample: (shape) => Float32Array.from({ length: shape[0]! * shape[1]! }, (_, i) => imag[i % shape[1]!]!),
  };
  return {
    logDt: scope.add('logDt', [channels], logDtInit, ssm),
    logAReal: scope.add('logAReal', [channels, modes], constant(Math.log(0.5)), ssm),
    aImag: scope.add('aImag', [channels, modes], aImagInit, ssm),
    ...outputProjection(scope, channels, modes, options),
  };
}

function createS4d(args: MixerArgs, options: S4dOptions): Mixer {
  const { dModel } = args;
  const modes = options.dState / 2;
  const forward = kernelParams(args.params.scope('forward'), dModel, modes, options);
  const backward = !options.bidirectional
    ? null
    : options.impl === 'reference'
      ? { ...forward, ...outputProjection(args.params.scope('backward'), dModel, modes, options) }
      : kernelParams(args.params.scope('backward'), dModel, modes, options);
  const skip = args.params.add('D', [dModel], normal(1));
  // Conv1d(H, 2H, 1) with torch's default init U(+-1/sqrt(fanIn)).
  const bound = 1 / Math.sqrt(dModel);
  const output = dense(args.params, 'output', {
    inputDim: dModel,
    units: 2 * dModel,
    kernelInit: uniform(-bound, bound),
    biasInit: uniform(-bound, bound),
  });

  return {
    apply(x: tf.Tensor3D, mask: tf.Tensor2D | null, _ctx: ForwardContext): tf.Tensor3D {
      const [batch, length] = x.shape;
      if (mask && (mask.shape[0] !== batch || mask.shape[1] !== length)) {
        throw new Error(`s4d: mask shape [${mask.shape}] does not match input [${batch}, ${length}]`);
      }
      return tf.tidy(() => {
        // Padded positions are zeroed so that neither direction carries them into real ones.
        const u = mask ? tf.mul(x, tf.expandDims(mask, 2)) : x;
        const channelsFirst = tf.transpose(u, [0, 2, 1]) as tf.Tensor3D; // [B, H, L]
        const y = tf.add(
          s4dConvolution(forward, backward, channelsFirst),
          tf.mul(channelsFirst, tf.reshape(skip, [1, dModel, 1])),
        );
        const activated = gelu(tf.transpose(y, [0, 2, 1]) as tf.Tensor3D);
        const gates = output.apply(activated);
        const [value, gate] = tf.split(gates, 2, -1);
        return tf.mul(value!, tf.sigmoid(gate!)) as tf.Tensor3D;
      });
    },
    inspect(x: tf.Tensor3D): MixerInspection {
      const length = x.shape[1];
      // The SSM convolution with its D skip, both directions when bidirectional.
      const causal = s4dKernel(forward, length);
      const anticausal = backward ? s4dKernel(backward, length) : null;
      const name = backward ? 'SSM kernel + D skip (two-sided)' : 'SSM kernel + D skip (causal)';
      const view = convolutionImpulseResponse(name, causal, anticausal, skip);
      tf.dispose([causal, ...(anticausal ? [anticausal] : [])]);
      return { impulseResponses: [view] };
    },
  };
}

export const s4d: MixerSpec<S4dOptions> = {
  name: 's4d',
  title: 'S4D (diagonal state space, S4D-Lin)',
  paper: 'Gu, Gupta, Goel and Re, "On the Parameterization and Initialization of Diagonal State Space Models", NeurIPS 2022',
  kind: 'state-space',
  defaults: { dState: 64, dtMin: 1e-3, dtMax: 1e-1, bidirectional: true, impl: 'clean', init: 'lin' },
  choices: { impl: ['clean', 'reference'], init: ['lin', 'inv', 'legs'] },
  create: createS4d,
  validate(_args, options) {
    if (!Number.isInteger(options.dState) || options.dState < 2 || options.dState % 2 !== 0) {
      return `dState must be a positive even integer (conjugate pairs), got ${options.dState}`;
    }
    if (!(options.dtMin > 0 && options.dtMax >= options.dtMin)) {
      return `need 0 < dtMin <= dtMax, got dtMin ${options.dtMin}, dtMax ${options.dtMax}`;
    }
    return null;
  },
};
