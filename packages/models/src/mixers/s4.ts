// S4 (Gu, Goel, Re 2022): a state space per channel whose state matrix is HiPPO-LegS in
// diagonal-plus-low-rank form, A = Lambda - P P^*, discretised by the bilinear transform and run
// as a long convolution. The kernel comes from the generating function (s4-kernel.ts); the
// layer around it is state-spaces/s4's S4Block with FFTConv (models/s4/s4.py): y = K * u + D u,
// GELU, dropout, Linear(H -> 2H) and a GLU.
//
// As the reference:
// - (Lambda, P, B) come in nSsm copies tied over the channels (channel h uses copy h mod nSsm);
//   dt is one per channel; C (C~, see s4-c-tilde.ts) one per channel and output.
// - C~ = C (I - Abar^L), L = the mixer's seqLen (the reference's l_max), is the trained parameter,
//   formed once from a random C when the mixer is created. The kernel is evaluated at seqLen
//   nodes and cut to the input's length. Inputs longer than seqLen get a kernel evaluated at their
//   own length (the reference instead doubles its length and rewrites C~ in place).
// - Bidirectional: the kernel has two outputs, k = pad(k0, (0, L)) + pad(flip(k1), (L, 0)), one
//   circular convolution of twice the length; the other direction shares dt, Lambda, P and B.
// - dt = softplus(invDt) (s4.yaml's dt_transform), initial dt log-uniform in [dtMin, dtMax].
// - dt, Lambda, P and B train without weight decay (wd 0), at their own rates (ssmLr, dtLr: 1e-3
//   as s4.yaml); C~, D and the output linear at the run's, with weight decay.
// - HiPPO-LegS diagonalised with eigenvector phases as LAPACK leaves them (first component real),
//   then Im(B) clipped at 2 (hippo.ts); only each mode's sign may differ, which the kernel ignores.
// Rank 1 only (the 'legs' init's rank).
import * as tf from '@tensorflow/tfjs';
import { convolutionImpulseResponse } from './kernel-inspection.js';
import type { MixerInspection } from '../analysis/inspection.js';
import { gelu } from '../nn/activations.js';
import type { ForwardContext } from '../nn/context.js';
import { dense } from '../nn/dense.js';
import { dropout } from '../nn/dropout.js';
import { normal, uniform, type Initializer } from '../nn/initializers.js';
import { fftconv, toeplitzMatvec } from '../spectral/index.js';
import { legsNplr } from './hippo.js';
import { cTildeFromC } from './s4-c-tilde.js';
import { s4Kernel, type DtTransform, type S4KernelParams } from './s4-kernel.js';
import type { Mixer, MixerArgs, MixerSpec } from './types.js';

export interface S4Options {
  /** State size N: N/2 complex modes per SSM (their conjugates implied). */
  dState: number;
  /** Smallest and largest initial step sizes (log-uniform between them). */
  dtMin: number;
  dtMax: number;
  /** dt = softplus(invDt) (s4.yaml) or exp(invDt) (the kernel's own default, older experiments). */
  dtTransform: DtTransform;
  /** Independent (Lambda, P, B) copies tied over the channels; must divide dModel; null: one per channel. */
  nSsm: number | null;
  /** A second kernel output run backwards (LRA's S4 configs set it). */
  bidirectional: boolean;
  /** Initialisation of (Lambda, P, B): HiPPO-LegS. */
  init: 'legs';
  /** Dropout where S4Block applies its `dropout`: on the SSM output (D skip included) and after the GELU. */
  activationDropout: number;
  /** One dropout mask per example and channel, shared by all positions (DropoutNd, the CIFAR config's tie_dropout). */
  tieDropout: boolean;
  /** Peak learning rate of Lambda, P and B (the configs' lr.A, lr.B). */
  ssmLr: number;
  /** Peak learning rate of dt (lr.dt); null: the run's (ListOps', IMDB's and AAN's lr.dt: null). */
  dtLr: number | null;
}

/** The same values for every tied copy: [copies, modes] filled from one row. */
function perCopy(description: string, row: Float64Array): Initializer {
  return {
    description,
    sample: (shape) => {
      const out = new Float32Array(shape.reduce((x, y) => x * y, 1));
      for (let i = 0; i < out.length; i++) out[i] = row[i % row.length]!;
      return out;
    },
  };
}

/** A complex row [modes] as [copies, modes, 2]. */
function complexPerCopy(description: string, re: Float64Array, im: Float64Array): Initializer {
  const interleaved = new Float64Array(2 * re.length);
  re.forEach((v, i) => {
    interleaved[2 * i] = v;
    interleaved[2 * i + 1] = im[i]!;
  });
  return perCopy(description, interleaved);
}

const inverseTransform = (dt: number, transform: DtTransform): number =>
  transform === 'softplus' ? Math.log(Math.expm1(Math.max(dt, 1e-4))) : Math.log(Math.max(dt, 1e-4));

function createS4(args: MixerArgs, options: S4Options): Mixer {
  const { dModel, seqLen } = args;
  const scope = args.params;
  const modes = options.dState / 2;
  const copies = options.nSsm ?? dModel;
  const outputs = options.bidirectional ? 2 : 1;
  const hippo = legsNplr(options.dState);
  const logDtRange = [Math.log(options.dtMin), Math.log(options.dtMax)] as const;
  const invDtInit: Initializer = {
    description: `${options.dtTransform}^-1 of log-uniform(${options.dtMin}, ${options.dtMax})`,
    sample: (shape, random) =>
      Float32Array.from({ length: shape[0]! }, () =>
        inverseTransform(Math.exp(logDtRange[0] + (logDtRange[1] - logDtRange[0]) * random()), options.dtTransform),
      ),
  };
  // S4's LRA configs: dt, A (Lambda, P) and B without weight decay (wd: 0), at their own rates.
  const SSM_PARAM = { decay: false, lr: options.ssmLr };
  // The reference's A_real under its 'exp' transform and A_imag, each clamped at 1e-4 first.
  const logARealInit = perCopy('log(-Re Lambda), HiPPO-LegS', hippo.lambdaRe.map((v) => Math.log(Math.max(-v, 1e-4))));
  const aImagInit = perCopy('-Im Lambda, HiPPO-LegS', hippo.lambdaIm.map((v) => Math.max(-v, 1e-4)));
  const ssm = {
    invDt: scope.add('invDt', [dModel], invDtInit, { decay: false, ...(options.dtLr === null ? {} : { lr: options.dtLr }) }),
    logAReal: scope.add('logAReal', [copies, modes], logARealInit, SSM_PARAM),
    aImag: scope.add('aImag', [copies, modes], aImagInit, SSM_PARAM),
    p: scope.add('P', [copies, modes, 2], complexPerCopy('V^* P, HiPPO-LegS', hippo.pRe, hippo.pIm), SSM_PARAM),
    b: scope.add('B', [copies, modes, 2], complexPerCopy('V^* B, HiPPO-LegS', hippo.bRe, hippo.bIm), SSM_PARAM),
  };
  // C ~ torch.randn(cfloat) (real and imaginary parts of variance 1/2), turned into C~ for seqLen.
  const cTildeInit: Initializer = {
    description: `C (I - Abar^${seqLen}), C complex normal`,
    sample: (shape, random) => {
      const draws = normal(Math.SQRT1_2).sample(shape, random);
      const count = draws.length / 2;
      const cRe = Float64Array.from({ length: count }, (_, i) => draws[2 * i]!);
      const cIm = Float64Array.from({ length: count }, (_, i) => draws[2 * i + 1]!);
      const values = (t: tf.Tensor) => Float64Array.from(t.dataSync());
      const dt = tf.tidy(() => (options.dtTransform === 'softplus' ? tf.softplus(ssm.invDt) : tf.exp(ssm.invDt)));
      const p = values(ssm.p);
      const tilde = cTildeFromC(cRe, cIm, outputs, {
        dt: values(dt),
        lambdaRe: values(ssm.logAReal).map((v) => -Math.exp(v)),
        lambdaIm: values(ssm.aImag).map((v) => -v),
        pRe: p.filter((_, i) => i % 2 === 0),
        pIm: p.filter((_, i) => i % 2 === 1),
        copies,
        modes,
      }, seqLen);
      dt.dispose();
      const out = new Float32Array(draws.length);
      for (let i = 0; i < count; i++) {
        out[2 * i] = tilde.re[i]!;
        out[2 * i + 1] = tilde.im[i]!;
      }
      return out;
    },
  };
  const params: S4KernelParams = { ...ssm, cTilde: scope.add('cTilde', [outputs, dModel, modes, 2], cTildeInit) };
  const skip = scope.add('D', [dModel], normal(1));
  // nn.Linear(H, 2H) with torch's default init U(+-1/sqrt(fanIn)).
  const bound = 1 / Math.sqrt(dModel);
  const output = dense(scope, 'output', {
    inputDim: dModel,
    units: 2 * dModel,
    kernelInit: uniform(-bound, bound),
    biasInit: uniform(-bound, bound),
  });
  // The kernel [outputs, H, length]: evaluated at seqLen nodes (the reference's l_kernel).
  const kernelFor = (length: number) => s4Kernel(params, options.dtTransform, Math.max(seqLen, length), length);

  /** The SSM's convolution on u [B, H, L], without the D skip. */
  const convolve = (u: tf.Tensor3D): tf.Tensor3D => {
    const length = u.shape[2];
    const kernel = kernelFor(length);
    const [causal, backward] = tf.unstack(kernel, 0);
    if (!options.bidirectional) return fftconv(u, causal!) as tf.Tensor3D;
    // Offsets j - i <= 0 take the causal kernel, offsets j - i = m > 0 the backward one's tap
    // m - 1: the reference's layout of its 2L circular convolution.
    const parts = [tf.reverse(causal!, -1)];
    if (length > 1) parts.push(tf.slice(backward!, [0, 0], [dModel, length - 1]));
    return toeplitzMatvec(tf.concat(parts, -1), u) as tf.Tensor3D;
  };

  /** S4Block's dropout on [B, L, H]: elementwise, or tied over the positions (a [B, 1, H] mask). */
  const drop = (x: tf.Tensor3D, ctx: ForwardContext): tf.Tensor3D => {
    if (!options.tieDropout || !ctx.training || options.activationDropout === 0) return dropout(x, options.activationDropout, ctx);
    return tf.mul(x, dropout(tf.ones([x.shape[0], 1, dModel]), options.activationDropout, ctx));
  };

  return {
    apply(x: tf.Tensor3D, mask: tf.Tensor2D | null, ctx: ForwardContext): tf.Tensor3D {
      const [batch, length] = x.shape;
      if (mask && (mask.shape[0] !== batch || mask.shape[1] !== length)) {
        throw new Error(`s4: mask shape [${mask.shape}] does not match input [${batch}, ${length}]`);
      }
      return tf.tidy(() => {
        // Padded positions are zeroed so that neither direction carries them into real ones.
        const u = mask ? tf.mul(x, tf.expandDims(mask, 2)) : x;
        const channelsFirst = tf.transpose(u, [0, 2, 1]) as tf.Tensor3D; // [B, H, L]
        const y = tf.add(convolve(channelsFirst), tf.mul(channelsFirst, tf.reshape(skip, [1, dModel, 1])));
        const dropped = drop(tf.transpose(y, [0, 2, 1]) as tf.Tensor3D, ctx);
        const activated = drop(gelu(dropped), ctx);
        const [value, gate] = tf.split(output.apply(activated), 2, -1);
        return tf.mul(value!, tf.sigmoid(gate!)) as tf.Tensor3D;
      });
    },
    inspect(x: tf.Tensor3D): MixerInspection {
      const length = x.shape[1];
      // The SSM convolution with its D skip, both directions when bidirectional.
      const [causal, backward] = tf.tidy(() => tf.unstack(kernelFor(length), 0)) as tf.Tensor2D[];
      const name = options.bidirectional ? 'SSM kernel + D skip (two-sided)' : 'SSM kernel + D skip (causal)';
      const view = convolutionImpulseResponse(name, causal!, options.bidirectional ? backward! : null, skip);
      tf.dispose([causal!, ...(backward ? [backward] : [])]);
      return { impulseResponses: [view] };
    },
  };
}

export const s4: MixerSpec<S4Options> = {
  name: 's4',
  title: 'S4 (diagonal plus low-rank state space, HiPPO-LegS)',
  paper: 'Gu, Goel and Re, "Efficiently Modeling Long Sequences with Structured State Spaces", ICLR 2022',
  kind: 'state-space',
  defaults: {
    dState: 64,
    dtMin: 1e-3,
    dtMax: 1e-1,
    dtTransform: 'softplus',
    nSsm: 1,
    bidirectional: true,
    init: 'legs',
    activationDropout: 0,
    tieDropout: false,
    ssmLr: 1e-3,
    dtLr: 1e-3,
  },
  nullable: ['nSsm', 'dtLr'],
  choices: { dtTransform: ['softplus', 'exp'], init: ['legs'] },
  create: createS4,
  validate(args, options) {
    if (!Number.isInteger(options.dState) || options.dState < 2 || options.dState % 2 !== 0) {
      return `dState must be a positive even integer (conjugate pairs), got ${options.dState}`;
    }
    if (!(options.dtMin > 0 && options.dtMax >= options.dtMin)) {
      return `need 0 < dtMin <= dtMax, got dtMin ${options.dtMin}, dtMax ${options.dtMax}`;
    }
    const copies = options.nSsm ?? args.dModel;
    if (!Number.isInteger(copies) || copies < 1 || args.dModel % copies !== 0) {
      return `nSsm must be a positive integer dividing dModel ${args.dModel}, got ${options.nSsm}`;
    }
    if (!(options.activationDropout >= 0 && options.activationDropout < 1)) {
      return `activationDropout must be in [0, 1), got ${options.activationDropout}`;
    }
    for (const [name, lr] of [['ssmLr', options.ssmLr], ['dtLr', options.dtLr ?? 1]] as const) {
      if (!(lr > 0)) return `${name} must be positive, got ${lr}`;
    }
    return null;
  },
};
