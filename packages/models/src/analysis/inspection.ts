// What a mixer can show of what it learned, as plain typed arrays (row-major, shapes stated): the
// filters it applies along tokens, the attention weights it computed, the impulse responses of
// its long convolutions. Mixers fill in what they have (Mixer.inspect); analysis turns these into
// frequency responses and statistics. Nothing here holds a tensor.

/** A filter over the rfft bins of an fftLength-point transform along tokens, one row per head or channel. */
export interface SpectralFilterView {
  name: string;
  rowLabel: 'head' | 'channel';
  rows: number;
  /** Bins k = 0 .. bins - 1 stand for k / fftLength cycles per token. */
  bins: number;
  fftLength: number;
  /** [rows, bins]. */
  re: Float32Array;
  /** [rows, bins]; null for a real (zero-phase) filter. */
  im: Float32Array | null;
}

/** A real filter computed afresh for every input (FFTNet's base + MLP(mean of the sequence)). */
export interface AdaptiveFilterView {
  name: string;
  rowLabel: 'head' | 'channel';
  rows: number;
  bins: number;
  fftLength: number;
  examples: number;
  /** [examples, rows, bins]. */
  values: Float32Array;
}

/** The impulse response of a linear convolution along tokens, per channel: y_i = sum_j h(i - j) u_j. */
export interface ImpulseResponseView {
  name: string;
  channels: number;
  /** The offset i - j of values[c][0]; 0 for a causal filter, -(length - 1) / 2 for a two-sided one. */
  firstOffset: number;
  length: number;
  /** [channels, length]. */
  values: Float32Array;
}

/** Softmax attention weights over positions, as the mixer computed them (no dropout). */
export interface AttentionView {
  examples: number;
  heads: number;
  queries: number;
  keys: number;
  /** [examples, heads, queries, keys]; each row sums to 1 over the keys it may attend to. */
  probabilities: Float32Array;
  /** [examples, queries]: 1 for a real query position, 0 for padding; null when all are real. */
  queryMask: Float32Array | null;
}

/** The DCT low-pass of a sequence-shortening mixer (Fourier Transformer). */
export interface DctEnergyView {
  /** Tokens transformed (the CLS token apart) and coefficients kept. */
  length: number;
  kept: number;
  examples: number;
  /** [examples, length]: energy (sum of squares over channels) of each DCT coefficient. */
  coefficientEnergy: Float32Array;
}

export interface MixerInspection {
  filters?: SpectralFilterView[];
  adaptiveFilters?: AdaptiveFilterView[];
  impulseResponses?: ImpulseResponseView[];
  attention?: AttentionView;
  dctEnergy?: DctEnergyView;
}
