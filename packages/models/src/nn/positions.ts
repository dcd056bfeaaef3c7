// Fixed position tables, computed in JavaScript (float64, stored as float32).

/**
 * Sinusoidal positions as LRA's sinusoidal_init (the Transformer paper's formula) with sin and
 * cos INTERLEAVED: row p, column 2i = sin(p w_i), column 2i+1 = cos(p w_i), w_i = 10000^(-2i/d).
 * (Some code concatenates a sin half and a cos half instead: a different layout.) [length, dim].
 */
export function sinusoidalPositions(length: number, dim: number): Float32Array {
  if (dim % 2 !== 0) throw new Error(`sinusoidal positions need an even width, got ${dim}`);
  const table = new Float32Array(length * dim);
  for (let i = 0; i < dim / 2; i++) {
    const frequency = Math.exp(-(2 * i) * (Math.log(10000) / dim));
    for (let p = 0; p < length; p++) {
      table[p * dim + 2 * i] = Math.sin(p * frequency);
      table[p * dim + 2 * i + 1] = Math.cos(p * frequency);
    }
  }
  return table;
}
