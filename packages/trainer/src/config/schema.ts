import type { ExperimentConfig } from './types.js';

/** A config problem found before any work starts; `key` is the dotted path it concerns. */
export class ConfigError extends Error {
  constructor(
    readonly key: string,
    readonly reason: string,
    readonly origin?: string,
  ) {
    super(`${origin ? `${origin}: ` : ''}${key ? `${key}: ` : ''}${reason}`);
    this.name = 'ConfigError';
  }
}

type Rule =
  | { type: 'integer'; min?: number; nullable?: boolean }
  | { type: 'number'; min?: number; max?: number; nullable?: boolean; optional?: boolean }
  | { type: 'string'; nullable?: boolean }
  /** optional: may be left out of a complete config, meaning false. */
  | { type: 'boolean'; optional?: boolean }
  | { type: 'enum'; values: readonly string[]; nullable?: boolean; optional?: boolean }
  /** A positive integer or the word 'auto'; optional: may be left out, meaning 'auto'. */
  | { type: 'count-or-auto'; optional?: boolean }
  /** A free-form object whose keys are checked elsewhere (mixer options, generator options). */
  | { type: 'record'; nullable?: boolean };

type Schema = { [key: string]: Rule | Schema };

/** Every key a config may hold. A key not listed here is an error, never silently ignored. */
export const configSchema = {
  task: { type: 'string' },
  mixer: { type: 'string' },
  preset: { type: 'string' },
  seed: { type: 'integer', min: 1 },
  backend: { type: 'enum', values: ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'] },
  out: { type: 'string' },
  data: {
    dataDir: { type: 'string' },
    source: { type: 'string', nullable: true },
    generator: { type: 'record', nullable: true },
    seqLen: { type: 'integer', min: 1, nullable: true },
    skipBad: { type: 'boolean' },
    // LRA's masking of grey level 0 (image tasks); absent means false, so older configs keep their hash.
    zeroIsPadding: { type: 'boolean', optional: true },
  },
  model: {
    dModel: { type: 'integer', min: 1 },
    heads: { type: 'integer', min: 1 },
    layers: { type: 'integer', min: 1 },
    mlpDim: { type: 'integer', min: 1 },
    dropout: { type: 'number', min: 0, max: 0.99 },
    attentionDropout: { type: 'number', min: 0, max: 0.99 },
    pool: { type: 'enum', values: ['cls', 'mean', 'mean-all', 'first'] },
    positions: { type: 'enum', values: ['learned', 'sinusoidal', 'none'] },
    block: { type: 'enum', values: ['pre-ln', 'post-ln'], nullable: true },
    classifierHidden: { type: 'integer', min: 1, nullable: true },
    pairInteraction: { type: 'enum', values: ['concat', 'nli'] },
    mixerOptions: { type: 'record' },
    // Optional so that the configs of runs made before it existed stay complete, unchanged and resumable.
    reversible: { type: 'boolean', optional: true },
    // 'block': each block's activations are recomputed in the backward pass. Absent means 'none'.
    recompute: { type: 'enum', values: ['none', 'block'], optional: true },
    // The backbone, its norm and its head; absent or null means the mixer's and backbone's defaults.
    backbone: { type: 'enum', values: ['transformer', 'ssm'], nullable: true, optional: true },
    norm: { type: 'enum', values: ['layer', 'batch'], nullable: true, optional: true },
    batchNormMomentum: { type: 'number', min: 0, max: 1, nullable: true, optional: true },
    tieDropout: { type: 'boolean', optional: true },
    decayGroups: { type: 'enum', values: ['lra', 's4', 's5'], nullable: true, optional: true },
    head: { type: 'enum', values: ['lra', 's4'], nullable: true, optional: true },
    // 'linear': pixel values through one Linear (image tasks), with their normalisation.
    encoder: { type: 'enum', values: ['embedding', 'linear'], nullable: true, optional: true },
    inputMean: { type: 'number', nullable: true, optional: true },
    inputStd: { type: 'number', min: 1e-12, nullable: true, optional: true },
  },
  train: {
    batchSize: { type: 'integer', min: 1 },
    steps: { type: 'integer', min: 1 },
    lr: { type: 'number', min: 0 },
    schedule: { type: 'enum', values: ['rsqrt', 'cosine', 'linear', 'constant'] },
    warmup: { type: 'integer', min: 0 },
    weightDecay: { type: 'number', min: 0 },
    beta1: { type: 'number', min: 0, max: 1 },
    beta2: { type: 'number', min: 0, max: 1 },
    eps: { type: 'number', min: 0 },
    gradClipNorm: { type: 'number', min: 0, nullable: true },
    evalEvery: { type: 'integer', min: 1 },
    evalBatches: { type: 'integer', min: 1, nullable: true },
    evalBatchSize: { type: 'integer', min: 1 },
    logEvery: { type: 'integer', min: 1 },
    // Examples per forward/backward pass ('auto': the memory planner's choice); absent means 'auto'.
    microBatch: { type: 'count-or-auto', optional: true },
    // Longest time between checkpoints written between validations (absent: 10 minutes); 0 writes one every step.
    // One is also written whenever writing it costs under 1% of the training time since the last.
    checkpointMinutes: { type: 'number', min: 0, optional: true },
    // The memory a step may hold, in MiB (absent: the backend's: 85% of wasm's 4 GiB, else 60% of the machine's).
    memoryLimitMiB: { type: 'number', min: 1, optional: true },
  },
} as const satisfies Schema;

function isRule(node: Rule | Schema): node is Rule {
  return typeof (node as Rule).type === 'string';
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  // JSON.stringify writes NaN and Infinity as null, which would hide what was given.
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : `${typeof v} ${JSON.stringify(v)}`;
}

function checkValue(rule: Rule, value: unknown, key: string, origin?: string): void {
  const fail = (reason: string): never => {
    throw new ConfigError(key, reason, origin);
  };
  if (value === null) {
    if ('nullable' in rule && rule.nullable) return;
    fail(`must not be null`);
  }
  switch (rule.type) {
    case 'integer':
    case 'number': {
      if (typeof value !== 'number' || !Number.isFinite(value)) fail(`expected ${rule.type === 'integer' ? 'an integer' : 'a number'}, got ${describe(value)}`);
      const n = value as number;
      if (rule.type === 'integer' && !Number.isInteger(n)) fail(`expected an integer, got ${n}`);
      if (rule.min !== undefined && n < rule.min) fail(`must be >= ${rule.min}, got ${n}`);
      if ('max' in rule && rule.max !== undefined && n > rule.max) fail(`must be <= ${rule.max}, got ${n}`);
      return;
    }
    case 'string':
      if (typeof value !== 'string') fail(`expected a string, got ${describe(value)}`);
      return;
    case 'boolean':
      if (typeof value !== 'boolean') fail(`expected true or false, got ${describe(value)}`);
      return;
    case 'enum':
      if (typeof value !== 'string' || !rule.values.includes(value))
        fail(`expected one of ${rule.values.join(', ')}, got ${describe(value)}`);
      return;
    case 'record':
      if (!isPlainObject(value)) fail(`expected an object, got ${describe(value)}`);
      return;
    case 'count-or-auto':
      if (value === 'auto') return;
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) fail(`expected a positive integer or "auto", got ${describe(value)}`);
      return;
  }
}

/**
 * Checks a partial config (a preset, an experiment file, overrides) against the schema:
 * unknown keys and wrong types are errors naming the key and where it came from.
 */
export function checkPartial(partial: unknown, origin?: string, schema: Schema = configSchema, prefix = ''): void {
  if (!isPlainObject(partial)) throw new ConfigError(prefix, `expected an object, got ${describe(partial)}`, origin);
  for (const [k, v] of Object.entries(partial)) {
    const key = prefix ? `${prefix}.${k}` : k;
    const node = (schema as Record<string, Rule | Schema>)[k];
    if (node === undefined) {
      const known = Object.keys(schema).join(', ');
      throw new ConfigError(key, `unknown key (known here: ${known})`, origin);
    }
    if (isRule(node)) checkValue(node, v, key, origin);
    else checkPartial(v, origin, node, key);
  }
}

/** Checks that a merged config is complete: every schema key present and valid. */
export function checkComplete(config: unknown, schema: Schema = configSchema, prefix = ''): asserts config is ExperimentConfig {
  checkPartial(config, undefined, schema, prefix);
  for (const [k, node] of Object.entries(schema)) {
    const key = prefix ? `${prefix}.${k}` : k;
    const value = (config as Record<string, unknown>)[k];
    if (value === undefined) {
      if (isRule(node) && 'optional' in node && node.optional) continue;
      throw new ConfigError(key, 'missing (no preset or file sets it)');
    }
    if (!isRule(node)) checkComplete(value, node, key);
  }
}

/** The rule for a dotted key, or undefined when the key does not exist. */
export function ruleFor(key: string): Rule | undefined {
  let node: Rule | Schema = configSchema;
  for (const part of key.split('.')) {
    if (isRule(node)) return node.type === 'record' ? { type: 'string' } : undefined;
    const next: Rule | Schema | undefined = (node as Record<string, Rule | Schema>)[part];
    if (next === undefined) return undefined;
    node = next;
  }
  return isRule(node) ? node : undefined;
}
