// S5 (Smith, Warrington and Linderman, ICLR 2023): one multi-input multi-output diagonal state
// space over all H channels, x_t = Lambda_bar x_{t-1} + B_bar u_t, y_t = 2 Re(C~ x_t) + D u_t,
// run as a parallel scan over the length (diagonal-scan.ts), then the S5 layer's nonlinearity
// (ssm-activation.ts). As lindermanlab/S5 s5/ssm.py S5SSM and s5/layers.py SequenceLayer:
// - Lambda starts at the eigenvalues of HiPPO-LegS's normal part, repeated on J blocks
//   (s5-hippo.ts), with conjugate symmetry: P/2 complex states stand for P;
// - B~ = V^{-1} B with B LeCun normal; C~ = C V (or C drawn complex, 'complex_normal');
// - one step size per state, log-uniform in [dtMin, dtMax]; ZOH or bilinear discretisation;
// - bidirectional: the same Lambda_bar and B_bar scanned backwards (inclusive of u_t), read by
//   its own C2; the two readouts are summed (S5's concatenated states times [C1 C2]).
// Padded positions are zeroed before the scan, so with the encoder's trailing padding neither
// direction carries them into a real position.
//
// Where this differs from S5's code: conjugate symmetry is always on (S5's conj_sym default) and
// there is no step_rescale; the norm, the residual and the dropout after the gate belong to the
// encoder block (S5's layer draws that last dropout per channel, the block per element).
import * as tf from '@tensorflow/tfjs';
import type { MixerInspection } from '../analysis/inspection.js';
import type { ForwardContext } from '../nn/context.js';
import { lecunNormal, normal, uniform, type Initializer } from '../nn/initializers.js';
import type { ParamOptions } from '../nn/params.js';
import {
  bidirectionalDiagonalScan,
  diagonalImpulseResponse,
  driveStates,
  linearRecurrence,
  readOut,
  type ComplexDiagonal,
  type ComplexReadout,
} from './diagonal-scan.js';
import { hippoEigenBasis, projectInput, projectOutput } from './s5-hippo.js';
import { SSM_ACTIVATIONS, ssmActivation, type SsmActivation } from './ssm-activation.js';
import type { Mixer, MixerArgs, MixerSpec } from './types.js';

export type S5CInit = 'trunc_standard_normal' | 'lecun_normal' | 'complex_normal';
/** Which parameters train at ssmLr and without weight decay (S5's --opt_config). */
export type S5OptConfig = 'standard' | 'BandCdecay' | 'BfastandCdecay' | 'noBCdecay';

export interface S5Options {
  /** State size P (S5's ssm_size_base); P/2 complex states are kept (conjugate symmetry). */
  dState: number;
  /** J: Lambda starts as J copies of the HiPPO eigenvalues of a block of P/J states. */
  blocks: number;
  cInit: S5CInit;
  discretization: 'zoh' | 'bilinear';
  dtMin: number;
  dtMax: number;
  /** Keep Re(Lambda) <= -1e-4 (S5's clip_eigs). */
  clipEigs: boolean;
  bidirectional: boolean;
  activation: SsmActivation;
  /** Dropout after the GELU, one mask per example and channel as S5's layer draws it. */
  activationDropout: number;
  /** The peak learning rate of the SSM parameters (S5's ssm_lr_base). */
  ssmLr: number;
  optConfig: S5OptConfig;
  /** The step sizes train with the other weights (rate and weight decay) rather than at ssmLr (S5's dt_global). */
  dtGlobal: boolean;
}

/** The trainable SSM of one S5 layer. */
export interface S5Params {
  lambdaRe: tf.Tensor1D; // [P/2]
  lambdaIm: tf.Tensor1D;
  /** B~ [P/2, H, 2] (real, imaginary). */
  b: tf.Tensor3D;
  /** C~ [H, P/2, 2] per direction: forward, then backward when bidirectional. */
  c: tf.Tensor3D[];
  logStep: tf.Tensor1D; // [P/2]
  d: tf.Tensor1D; // [H]
}

/** The discretised system: Lambda_bar [P/2] and B_bar [P/2, H]. */
export interface S5Discrete {
  lambdaBar: ComplexDiagonal;
  bRe: tf.Tensor2D;
  bIm: tf.Tensor2D;
}

function complexParts(t: tf.Tensor3D): [tf.Tensor2D, tf.Tensor2D] {
  const [re, im] = tf.unstack(t, 2) as [tf.Tensor2D, tf.Tensor2D];
  return [re, im];
}

/**
 * ZOH: Lambda_bar = exp(Lambda dt), B_bar = (Lambda_bar - 1) / Lambda B~; bilinear:
 * Lambda_bar = (1 - dt/2 Lambda)^{-1} (1 + dt/2 Lambda), B_bar = (1 - dt/2 Lambda)^{-1} dt B~.
 * Call inside tf.tidy.
 */
export function s5Discretize(p: S5Params, discretization: S5Options['discretization'], clipEigs: boolean): S5Discrete {
  const step = tf.exp(p.logStep);
  const lamRe = clipEigs ? tf.minimum(p.lambdaRe, -1e-4) : p.lambdaRe;
  const lamIm = p.lambdaIm;
  let lambdaBar: ComplexDiagonal;
  let fRe: tf.Tensor;
  let fIm: tf.Tensor;
  if (discretization === 'zoh') {
    const x = tf.mul(lamRe, step);
    const y = tf.mul(lamIm, step);
    const decay = tf.exp(x);
    lambdaBar = { re: tf.mul(decay, tf.cos(y)), im: tf.mul(decay, tf.sin(y)) };
    // exp(x) cos y - 1 = expm1(x) cos y - 2 sin^2(y/2): no cancellation for small steps.
    const numRe = tf.sub(tf.mul(tf.expm1(x), tf.cos(y)), tf.mul(tf.square(tf.sin(tf.mul(y, 0.5))), 2));
    const numIm = lambdaBar.im;
    const norm = tf.add(tf.square(lamRe), tf.square(lamIm));
    fRe = tf.div(tf.add(tf.mul(numRe, lamRe), tf.mul(numIm, lamIm)), norm);
    fIm = tf.div(tf.sub(tf.mul(numIm, lamRe), tf.mul(numRe, lamIm)), norm);
  } else {
    const halfStep = tf.mul(step, 0.5);
    const denRe = tf.sub(1, tf.mul(halfStep, lamRe));
    const denIm = tf.neg(tf.mul(halfStep, lamIm));
    const denNorm = tf.add(tf.square(denRe), tf.square(denIm));
    const invRe = tf.div(denRe, denNorm);
    const invIm = tf.div(tf.neg(denIm), denNorm);
    const numRe = tf.add(1, tf.mul(halfStep, lamRe));
    const numIm = tf.mul(halfStep, lamIm);
    lambdaBar = { re: tf.sub(tf.mul(invRe, numRe), tf.mul(invIm, numIm)), im: tf.add(tf.mul(invRe, numIm), tf.mul(invIm, numRe)) };
    fRe = tf.mul(invRe, step);
    fIm = tf.mul(invIm, step);
  }
  const [bRe, bIm] = complexParts(p.b);
  const fr = tf.expandDims(fRe, 1);
  const fi = tf.expandDims(fIm, 1);
  return {
    lambdaBar: lambdaBar as ComplexDiagonal,
    bRe: tf.sub(tf.mul(fr, bRe), tf.mul(fi, bIm)) as tf.Tensor2D,
    bIm: tf.add(tf.mul(fr, bIm), tf.mul(fi, bRe)) as tf.Tensor2D,
  };
}

/**
 * The S5 SSM on u [B, L, H] (padded positions already zeroed): 2 Re(C1 x_fwd + C2 x_bwd) + D u.
 * Call inside tf.tidy.
 */
export function s5Ssm(p: S5Params, options: Pick<S5Options, 'discretization' | 'clipEigs'>, u: tf.Tensor3D): tf.Tensor3D {
  const { lambdaBar, bRe, bIm } = s5Discretize(p, options.discretization, options.clipEigs);
  const drive = driveStates(u, bRe, bIm);
  const states = p.c.length === 2 ? bidirectionalDiagonalScan(lambdaBar, drive) : [linearRecurrence(lambdaBar, drive)];
  const readouts: ComplexReadout[] = p.c.map((c) => {
    const [cRe, cIm] = complexParts(c);
    return { cRe, cIm };
  });
  return tf.add(readOut(states, readouts, 2), tf.mul(u, p.d)) as tf.Tensor3D;
}

function lambdaInit(values: Float64Array, blocks: number, description: string): Initializer {
  return {
    description,
    sample: () => Float32Array.from({ length: blocks * values.length }, (_, i) => values[i % values.length]!),
  };
}

function createS5(args: MixerArgs, options: S5Options): Mixer {
  const { dModel } = args;
  const { blocks } = options;
  const states = options.dState;
  const half = states / 2;
  const basis = hippoEigenBasis(states / blocks);
  const ssm: ParamOptions = { decay: false, lr: options.ssmLr };
  const regular: ParamOptions = {};
  const config = options.optConfig;
  const bGroup = config === 'BfastandCdecay' ? regular : config === 'BandCdecay' ? { decay: true, lr: options.ssmLr } : ssm;
  const cGroup = config === 'noBCdecay' ? ssm : regular;
  const scope = args.params;

  const bInit: Initializer = {
    description: 'V^-1 lecunNormal (S5 init_VinvB)',
    sample: (_shape, random) => projectInput(basis, blocks, lecunNormal().sample([states, dModel], random), dModel),
  };
  const cInit = (): Initializer => {
    if (options.cInit === 'complex_normal') return normal(Math.SQRT1_2);
    return {
      description: `${options.cInit} V (S5 init_CV)`,
      sample: (_shape, random) => {
        // trunc_standard_normal: LeCun normal per row of shape (1, P, 2), so fan-in P; lecun_normal
        // over the whole (H, P, 2), fan-in P H.
        const raw =
          options.cInit === 'lecun_normal'
            ? lecunNormal().sample([dModel, states, 2], random)
            : Float32Array.from(
                Array.from({ length: dModel }, () => Array.from(lecunNormal().sample([1, states, 2], random))).flat(),
              );
        return projectOutput(basis, blocks, raw, dModel);
      },
    };
  };

  const params: S5Params = {
    lambdaRe: scope.add('lambdaRe', [half], lambdaInit(basis.lambdaRe, blocks, 'HiPPO-N eigenvalues (real)'), ssm) as tf.Tensor1D,
    lambdaIm: scope.add('lambdaIm', [half], lambdaInit(basis.lambdaIm, blocks, 'HiPPO-N eigenvalues (imaginary)'), ssm) as tf.Tensor1D,
    b: scope.add('B', [half, dModel, 2], bInit, bGroup) as tf.Tensor3D,
    c: (options.bidirectional ? ['C1', 'C2'] : ['C']).map((name) => scope.add(name, [dModel, half, 2], cInit(), cGroup) as tf.Tensor3D),
    d: scope.add('D', [dModel], normal(1), cGroup) as tf.Tensor1D,
    logStep: scope.add('logStep', [half], uniform(Math.log(options.dtMin), Math.log(options.dtMax)), options.dtGlobal ? regular : ssm) as tf.Tensor1D,
  };
  const activation = ssmActivation(scope, dModel, options.activation, options.activationDropout);

  return {
    apply(x: tf.Tensor3D, mask: tf.Tensor2D | null, ctx: ForwardContext): tf.Tensor3D {
      const [batch, length] = x.shape;
      if (mask && (mask.shape[0] !== batch || mask.shape[1] !== length)) {
        throw new Error(`s5: mask shape [${mask.shape}] does not match input [${batch}, ${length}]`);
      }
      return tf.tidy(() => {
        const u = mask ? (tf.mul(x, tf.expandDims(mask, 2)) as tf.Tensor3D) : x;
        return activation.apply(s5Ssm(params, options, u), ctx);
      });
    },
    inspect(x: tf.Tensor3D): MixerInspection {
      return { impulseResponses: [s5ImpulseResponse(params, options, x.shape[1])] };
    },
  };
}

/**
 * The SSM's response of channel h to an impulse on channel h (the diagonal of the MIMO system),
 * D included: lags k >= 0 take 2 Re sum_n C1_hn Lambda_bar_n^k B_bar_nh; bidirectional, lags
 * -k <= 0 add C2's (the backward scan includes u_t, so lag 0 has both).
 */
export function s5ImpulseResponse(p: S5Params, options: Pick<S5Options, 'discretization' | 'clipEigs'>, length: number) {
  const [lambdaRe, lambdaIm, bRe, bIm] = tf.tidy(() => {
    const { lambdaBar, bRe, bIm } = s5Discretize(p, options.discretization, options.clipEigs);
    return [lambdaBar.re, lambdaBar.im, bRe, bIm];
  }).map((t) => {
    const values = Float64Array.from(t.dataSync());
    t.dispose();
    return values;
  }) as [Float64Array, Float64Array, Float64Array, Float64Array];
  const readouts = p.c.map((c) => Float64Array.from(c.dataSync()));
  const d = p.d.dataSync();
  return diagonalImpulseResponse({ lambdaRe, lambdaIm, bRe, bIm, readouts, d, scale: 2, length, name: 'S5' });
}

export const s5: MixerSpec<S5Options> = {
  name: 's5',
  title: 'S5 (MIMO diagonal state space, parallel scan)',
  paper: 'Smith, Warrington and Linderman, "Simplified State Space Layers for Sequence Modeling", ICLR 2023',
  kind: 'state-space',
  // bin/run_experiments/run_lra_*.sh and run_train.py: the settings most LRA tasks share
  // (ssm_size_base 256, C_init and activation as run_train.py's defaults, bidirectional).
  defaults: {
    dState: 256,
    blocks: 8,
    cInit: 'trunc_standard_normal',
    discretization: 'zoh',
    dtMin: 1e-3,
    dtMax: 1e-1,
    clipEigs: false,
    bidirectional: true,
    activation: 'half_glu1',
    activationDropout: 0,
    ssmLr: 1e-3,
    optConfig: 'standard',
    dtGlobal: false,
  },
  choices: {
    cInit: ['trunc_standard_normal', 'lecun_normal', 'complex_normal'],
    discretization: ['zoh', 'bilinear'],
    activation: SSM_ACTIVATIONS,
    optConfig: ['standard', 'BandCdecay', 'BfastandCdecay', 'noBCdecay'],
  },
  create: createS5,
  validate(_args, options) {
    const { dState, blocks } = options;
    if (!Number.isInteger(blocks) || blocks < 1) return `blocks must be a positive integer, got ${blocks}`;
    if (!Number.isInteger(dState) || dState < 2 || dState % blocks !== 0 || (dState / blocks) % 2 !== 0) {
      return `dState must be a multiple of blocks with an even block size (conjugate pairs), got dState ${dState}, blocks ${blocks}`;
    }
    if (!(options.dtMin > 0 && options.dtMax >= options.dtMin)) {
      return `need 0 < dtMin <= dtMax, got dtMin ${options.dtMin}, dtMax ${options.dtMax}`;
    }
    if (!(options.activationDropout >= 0 && options.activationDropout < 1)) return `activationDropout must be in [0, 1), got ${options.activationDropout}`;
    if (!(options.ssmLr > 0)) return `ssmLr must be positive, got ${options.ssmLr}`;
    return null;
  },
};
