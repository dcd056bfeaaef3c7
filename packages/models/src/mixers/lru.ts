// The Linear Recurrent Unit (Orvieto et al., ICML 2023): a complex diagonal linear recurrence
// h_t = lambda h_{t-1} + gamma B u_t, y_t = Re(C h_t) + D u_t, with the stable exponential
// parameterisation lambda = exp(-exp(nu_log) + i exp(theta_log)), the ring initialisation and the
// normalisation gamma = sqrt(1 - |lambda|^2) (log-parameterised), run as a parallel scan
// (diagonal-scan.ts), then GELU, dropout and a GLU. As the paper's appendix A code and
// NicolasZucchet/minimal-LRU lru/model.py (LRU, SequenceLayer).
//
// Bidirectional (not in minimal-LRU, which is causal): as S5's code, the same lambda and B
// scanned backwards (inclusive of u_t), read by its own C; the two readouts are summed.
// Padded positions are zeroed before the scan. The norm, the residual and the dropout after the
// GLU belong to the encoder block.
import * as tf from '@tensorflow/tfjs';
import type { MixerInspection } from '../analysis/inspection.js';
import type { ForwardContext } from '../nn/context.js';
import { normal, type Initializer } from '../nn/initializers.js';
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
import { ssmActivation } from './ssm-activation.js';
import type { Mixer, MixerArgs, MixerSpec } from './types.js';

export interface LruOptions {
  /** Number of complex states N (minimal-LRU's d_hidden). */
  dState: number;
  /** |lambda| starts uniform (by area) on the ring rMin <= |lambda| <= rMax. */
  rMin: number;
  rMax: number;
  /** arg(lambda) starts uniform in [0, maxPhase]. */
  maxPhase: number;
  bidirectional: boolean;
  /** Dropout after the GELU, one mask per example and channel as the reference layer draws it. */
  activationDropout: number;
  /** Peak learning rate of nu, theta, gamma and B (minimal-LRU: lr_factor 0.5 x lr_base 1e-3). */
  ssmLr: number;
}

/** The trainable recurrence of one LRU layer. */
export interface LruParams {
  nuLog: tf.Tensor1D; // [N]
  thetaLog: tf.Tensor1D;
  gammaLog: tf.Tensor1D;
  bRe: tf.Tensor2D; // [N, H]
  bIm: tf.Tensor2D;
  /** C [H, N] per direction: forward, then backward when bidirectional. */
  c: ComplexReadout[];
  d: tf.Tensor1D; // [H]
}

/** lambda [N] and the normalised input matrix gamma B [N, H]. Call inside tf.tidy. */
export function lruDiagonal(p: LruParams): { lambda: ComplexDiagonal; bRe: tf.Tensor2D; bIm: tf.Tensor2D } {
  const magnitude = tf.exp(tf.neg(tf.exp(p.nuLog)));
  const phase = tf.exp(p.thetaLog);
  const gamma = tf.expandDims(tf.exp(p.gammaLog), 1);
  return {
    lambda: { re: tf.mul(magnitude, tf.cos(phase)) as tf.Tensor1D, im: tf.mul(magnitude, tf.sin(phase)) as tf.Tensor1D },
    bRe: tf.mul(p.bRe, gamma) as tf.Tensor2D,
    bIm: tf.mul(p.bIm, gamma) as tf.Tensor2D,
  };
}

/** The recurrence on u [B, L, H] (padded positions already zeroed): Re(C h) (+ backward) + D u. Call inside tf.tidy. */
export function lruRecurrence(p: LruParams, u: tf.Tensor3D): tf.Tensor3D {
  const { lambda, bRe, bIm } = lruDiagonal(p);
  const drive = driveStates(u, bRe, bIm);
  const states = p.c.length === 2 ? bidirectionalDiagonalScan(lambda, drive) : [linearRecurrence(lambda, drive)];
  return tf.add(readOut(states, p.c, 1), tf.mul(u, p.d)) as tf.Tensor3D;
}

/** nu_log = log(-log(r) ) with r^2 uniform on [rMin^2, rMax^2] (uniform by area on the ring). */
export function ringNuLog(rMin: number, rMax: number): Initializer {
  return {
    description: `ring(${rMin}, ${rMax}) nu_log`,
    sample: (shape, random) =>
      Float32Array.from({ length: shape[0]! }, () => Math.log(-0.5 * Math.log((1 - random()) * (rMax ** 2 - rMin ** 2) + rMin ** 2))),
  };
}

export function phaseLog(maxPhase: number): Initializer {
  // 1 - u lies in (0, 1]: the logarithm stays finite.
  return { description: `log(uniform(0, ${maxPhase}))`, sample: (shape, random) => Float32Array.from({ length: shape[0]! }, () => Math.log(maxPhase * (1 - random()))) };
}

/** gamma_log = log(sqrt(1 - |lambda|^2)), |lambda| = exp(-exp(nu_log)), from nu_log's initial values. */
export function gammaLogFrom(nuLog: ArrayLike<number>): Initializer {
  return {
    description: 'log sqrt(1 - |lambda|^2)',
    sample: () => Float32Array.from(nuLog, (nu) => 0.5 * Math.log(-Math.expm1(-2 * Math.exp(nu)))),
  };
}

function createLru(args: MixerArgs, options: LruOptions): Mixer {
  const { dModel } = args;
  const n = options.dState;
  const scope = args.params;
  const ssm: ParamOptions = { decay: false, lr: options.ssmLr };
  const nuLog = scope.add('nuLog', [n], ringNuLog(options.rMin, options.rMax), ssm) as tf.Tensor1D;
  const thetaLog = scope.add('thetaLog', [n], phaseLog(options.maxPhase), ssm) as tf.Tensor1D;
  const gammaLog = scope.add('gammaLog', [n], gammaLogFrom(nuLog.dataSync()), ssm) as tf.Tensor1D;
  // Glorot-like scales of the paper: B / sqrt(2H), C / sqrt(N).
  const bInit = normal(1 / Math.sqrt(2 * dModel));
  const cInit = normal(1 / Math.sqrt(n));
  const readout = (prefix: string): ComplexReadout => ({
    cRe: scope.add(`${prefix}cRe`, [dModel, n], cInit) as tf.Tensor2D,
    cIm: scope.add(`${prefix}cIm`, [dModel, n], cInit) as tf.Tensor2D,
  });
  const params: LruParams = {
    nuLog,
    thetaLog,
    gammaLog,
    bRe: scope.add('bRe', [n, dModel], bInit, ssm) as tf.Tensor2D,
    bIm: scope.add('bIm', [n, dModel], bInit, ssm) as tf.Tensor2D,
    c: options.bidirectional ? [readout(''), readout('reverse/')] : [readout('')],
    d: scope.add('D', [dModel], normal(1)) as tf.Tensor1D,
  };
  const activation = ssmActivation(scope, dModel, 'full_glu', options.activationDropout);

  return {
    apply(x: tf.Tensor3D, mask: tf.Tensor2D | null, ctx: ForwardContext): tf.Tensor3D {
      const [batch, length] = x.shape;
      if (mask && (mask.shape[0] !== batch || mask.shape[1] !== length)) {
        throw new Error(`lru: mask shape [${mask.shape}] does not match input [${batch}, ${length}]`);
      }
      return tf.tidy(() => {
        const u = mask ? (tf.mul(x, tf.expandDims(mask, 2)) as tf.Tensor3D) : x;
        return activation.apply(lruRecurrence(params, u), ctx);
      });
    },
    inspect(x: tf.Tensor3D): MixerInspection {
      const [lambdaRe, lambdaIm, bRe, bIm] = tf
        .tidy(() => {
          const { lambda, bRe, bIm } = lruDiagonal(params);
          return [lambda.re, lambda.im, bRe, bIm];
        })
        .map((t) => {
          const values = Float64Array.from(t.dataSync());
          t.dispose();
          return values;
        }) as [Float64Array, Float64Array, Float64Array, Float64Array];
      const readouts = params.c.map(({ cRe, cIm }) => {
        const re = cRe.dataSync();
        const im = cIm.dataSync();
        return Float64Array.from({ length: 2 * re.length }, (_, i) => (i % 2 === 0 ? re[i >> 1]! : im[i >> 1]!));
      });
      const response = diagonalImpulseResponse({ lambdaRe, lambdaIm, bRe, bIm, readouts, d: params.d.dataSync(), scale: 1, length: x.shape[1], name: 'LRU' });
      return { impulseResponses: [response] };
    },
  };
}

export const lru: MixerSpec<LruOptions> = {
  name: 'lru',
  title: 'LRU (linear recurrent unit, parallel scan)',
  paper: 'Orvieto, Smith, Gu, Fernando, Gulcehre, Pascanu and De, "Resurrecting Recurrent Neural Networks for Long Sequences", ICML 2023',
  kind: 'state-space',
  // The paper's LRA settings for ListOps and Text (its appendix D): N 256, ring [0, 0.999],
  // phases up to 2 pi; PathFinder and Path-X start nearer the unit circle (rMin 0.9 and 0.999)
  // with phases up to pi / 10. (minimal-LRU's own defaults: N 128, ring [0, 1], phase 6.28.)
  defaults: { dState: 256, rMin: 0, rMax: 0.999, maxPhase: 2 * Math.PI, bidirectional: true, activationDropout: 0, ssmLr: 5e-4 },
  create: createLru,
  validate(_args, options) {
    if (!Number.isInteger(options.dState) || options.dState < 1) return `dState must be a positive integer, got ${options.dState}`;
    if (!(options.rMin >= 0 && options.rMin <= options.rMax && options.rMax < 1)) {
      return `need 0 <= rMin <= rMax < 1, got rMin ${options.rMin}, rMax ${options.rMax}`;
    }
    if (!(options.maxPhase > 0)) return `maxPhase must be positive, got ${options.maxPhase}`;
    if (!(options.activationDropout >= 0 && options.activationDropout < 1)) return `activationDropout must be in [0, 1), got ${options.activationDropout}`;
    if (!(options.ssmLr > 0)) return `ssmLr must be positive, got ${options.ssmLr}`;
    return null;
  },
};
