// S4 in float64 from the dense formulas, for the tests: the system of each channel built as a
// dense N x N complex matrix from the mixer's parameters, C recovered from the trained C~, the
// recurrence run step by step, then D skip, GELU, Linear(H -> 2H) and GLU.
import { bilinearSystem, cidentity, cinverse, cpower, rowTimes, runRecurrence, type DenseSystem } from './s4-dense.js';
import { geluExact } from './spectral-reference.js';

export type Params = Record<string, Float64Array>;

export const softplus = (x: number): number => (x > 30 ? x : Math.log1p(Math.exp(x)));

/** Channel h's discretised system from the mixer's parameters (prefix e.g. 'mixer/'). */
export function channelSystem(params: Params, prefix: string, h: number, modes: number): DenseSystem {
  const p = (name: string) => params[prefix + name]!;
  const copies = p('logAReal').length / modes;
  const copy = h % copies;
  const at = (name: string, part: number) => Float64Array.from({ length: modes }, (_, m) => p(name)[(copy * modes + m) * 2 + part]!);
  const lambda = {
    re: Float64Array.from({ length: modes }, (_, m) => -Math.exp(p('logAReal')[copy * modes + m]!)),
    im: Float64Array.from({ length: modes }, (_, m) => -p('aImag')[copy * modes + m]!),
  };
  return bilinearSystem(softplus(p('invDt')[h]!), lambda, { re: at('P', 0), im: at('P', 1) }, { re: at('B', 0), im: at('B', 1) });
}

/** C over all N states from C~ = C (I - dA^L): C = C~ (I - dA^L)^{-1}. */
export function outputRow(params: Params, prefix: string, system: DenseSystem, output: number, h: number, channels: number, modes: number, nodes: number) {
  const tilde = params[prefix + 'cTilde']!;
  const offset = (output * channels + h) * modes;
  const re = Float64Array.from({ length: modes }, (_, m) => tilde[(offset + m) * 2]!);
  const im = Float64Array.from({ length: modes }, (_, m) => tilde[(offset + m) * 2 + 1]!);
  const power = cpower(system.dA, nodes);
  const complement = cidentity(power.n);
  for (let i = 0; i < power.re.length; i++) {
    complement.re[i]! -= power.re[i]!;
    complement.im[i]! -= power.im[i]!;
  }
  return rowTimes(re, im, cinverse(complement));
}

/**
 * The mixer on x [B, L, H] (mask [B, L] or null) in float64. `nodes` is the length C~ refers to
 * (seqLen, or L when longer).
 */
export function s4Float64(params: Params, x: ArrayLike<number>, mask: ArrayLike<number> | null, dims: { batch: number; length: number; channels: number; modes: number; nodes: number; bidirectional: boolean }): Float64Array {
  const { batch, length, channels, modes, nodes, bidirectional } = dims;
  const p = (name: string) => params['mixer/' + name]!;
  const ssm = new Float64Array(batch * length * channels);
  for (let h = 0; h < channels; h++) {
    const system = channelSystem(params, 'mixer/', h, modes);
    const forward = outputRow(params, 'mixer/', system, 0, h, channels, modes, nodes);
    const backward = bidirectional ? outputRow(params, 'mixer/', system, 1, h, channels, modes, nodes) : null;
    for (let b = 0; b < batch; b++) {
      const u = Float64Array.from({ length }, (_, t) => x[(b * length + t) * channels + h]! * (mask ? mask[b * length + t]! : 1));
      const y = runRecurrence(system, forward.re, forward.im, u, false);
      if (backward) runRecurrence(system, backward.re, backward.im, u, true).forEach((v, t) => (y[t] += v));
      for (let t = 0; t < length; t++) ssm[(b * length + t) * channels + h] = y[t]! + p('D')[h]! * u[t]!;
    }
  }
  const out = new Float64Array(batch * length * channels);
  const kernel = p('output/kernel');
  const bias = p('output/bias');
  for (let r = 0; r < batch * length; r++) {
    const act = Float64Array.from({ length: channels }, (_, h) => geluExact(ssm[r * channels + h]!));
    for (let c = 0; c < channels; c++) {
      let value = bias[c]!;
      let gate = bias[channels + c]!;
      for (let h = 0; h < channels; h++) {
        value += act[h]! * kernel[h * 2 * channels + c]!;
        gate += act[h]! * kernel[h * 2 * channels + channels + c]!;
      }
      out[r * channels + c] = value / (1 + Math.exp(-gate));
    }
  }
  return out;
}
