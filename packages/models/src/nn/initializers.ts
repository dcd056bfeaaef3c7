// Parameter initialisers that fill a Float32Array in JavaScript from a seeded uniform source,
// so a parameter's initial values are the same on every backend and depend only on its seed.

/** A uniform source on [0, 1), e.g. a seedrandom generator. */
export type UniformSource = () => number;

export interface Initializer {
  /** How the values are drawn, e.g. "normal(0.02)"; shown by model descriptions. */
  readonly description: string;
  sample(shape: readonly number[], random: UniformSource): Float32Array;
}

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Fans as jax.nn.initializers computes them: the last axis is the output, the one before it the
 * input, and any leading axes multiply both (a receptive field). A vector counts as fan-in =
 * fan-out = its length.
 */
export function fans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length === 0) return { fanIn: 1, fanOut: 1 };
  if (shape.length === 1) return { fanIn: shape[0]!, fanOut: shape[0]! };
  const receptive = sizeOf(shape.slice(0, -2));
  return { fanIn: shape[shape.length - 2]! * receptive, fanOut: shape[shape.length - 1]! * receptive };
}

/** Box-Muller pairs; 1 - u keeps the logarithm's argument in (0, 1]. */
function standardNormals(count: number, random: UniformSource): Float64Array {
  const out = new Float64Array(count);
  for (let i = 0; i < count; i += 2) {
    const radius = Math.sqrt(-2 * Math.log(1 - random()));
    const angle = 2 * Math.PI * random();
    out[i] = radius * Math.cos(angle);
    if (i + 1 < count) out[i + 1] = radius * Math.sin(angle);
  }
  return out;
}

/** Standard normals redrawn until they fall inside [-2, 2], as tf.truncatedNormal and jax do. */
function truncatedStandardNormals(count: number, random: UniformSource): Float64Array {
  const out = new Float64Array(count);
  let filled = 0;
  while (filled < count) {
    const batch = standardNormals(Math.max(2, count - filled), random);
    for (let i = 0; i < batch.length && filled < count; i++) {
      if (Math.abs(batch[i]!) <= 2) out[filled++] = batch[i]!;
    }
  }
  return out;
}

function scaled(values: Float64Array, scale: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = values[i]! * scale;
  return out;
}

export function constant(value: number): Initializer {
  return {
    description: `constant(${value})`,
    sample: (shape) => new Float32Array(sizeOf(shape)).fill(value),
  };
}

export function zeros(): Initializer {
  return { ...constant(0), description: 'zeros' };
}

export function ones(): Initializer {
  return { ...constant(1), description: 'ones' };
}

export function normal(std: number): Initializer {
  return {
    description: `normal(${std})`,
    sample: (shape, random) => scaled(standardNormals(sizeOf(shape), random), std),
  };
}

/** Normal(0, std) truncated to two standard deviations (std is the untruncated one). */
export function truncatedNormal(std: number): Initializer {
  return {
    description: `truncatedNormal(${std})`,
    sample: (shape, random) => scaled(truncatedStandardNormals(sizeOf(shape), random), std),
  };
}

export function uniform(low: number, high: number): Initializer {
  return {
    description: `uniform(${low}, ${high})`,
    sample: (shape, random) => {
      const out = new Float32Array(sizeOf(shape));
      for (let i = 0; i < out.length; i++) out[i] = low + (high - low) * random();
      return out;
    },
  };
}

/** Glorot uniform: U(-l, l) with l = sqrt(6 / (fanIn + fanOut)); LRA's kernels in its blocks. */
export function xavierUniform(): Initializer {
  return {
    description: 'xavierUniform',
    sample: (shape, random) => {
      const { fanIn, fanOut } = fans(shape);
      const limit = Math.sqrt(6 / (fanIn + fanOut));
      return uniform(-limit, limit).sample(shape, random);
    },
  };
}

// The standard deviation of a unit normal truncated to [-2, 2]: jax divides by it so the
// truncated samples keep the variance the scaling rule asks for.
const TRUNCATED_UNIT_STD = 0.87962566103423978;

/**
 * LeCun normal as jax.nn.initializers.lecun_normal: a normal truncated to two standard
 * deviations with variance 1 / fanIn after truncation. Flax's Dense default; LRA's head uses it.
 */
export function lecunNormal(): Initializer {
  return {
    description: 'lecunNormal',
    sample: (shape, random) => {
      const std = Math.sqrt(1 / fans(shape).fanIn) / TRUNCATED_UNIT_STD;
      return scaled(truncatedStandardNormals(sizeOf(shape), random), std);
    },
  };
}
