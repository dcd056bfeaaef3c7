// The classifier's configuration and its up-front validation: every problem is found and
// reported before a single tensor is allocated.
import type * as tf from '@tensorflow/tfjs';
import type { ParamScope } from '../nn/params.js';
import { getMixer, isMixerName, mixerNames, resolveMixerOptions, type MixerName } from '../mixers/registry.js';
import type { Backbone, BlockStyle, MixerArgs, MixerSpec } from '../mixers/types.js';
import { sequenceNormKinds, type SequenceNormKind } from './sequence-norm.js';
import type { TokenValues } from './value-encoder.js';

/**
 * 'cls': a learned CLS token is prepended and read out. 'mean': the mean over real tokens.
 * 'mean-all': the mean over every position, padding included (LRA's MEAN). 'first': position 0
 * with no CLS token prepended (LRA's dual encoder, whose 'CLS' reads the first real token).
 */
export type Pooling = 'cls' | 'mean' | 'mean-all' | 'first';
export const poolings: readonly Pooling[] = ['cls', 'mean', 'mean-all', 'first'];
/** 'rope' adds no absolute positions: the mixer rotates queries and keys (MixerArgs.rope). */
export type PositionEncoding = 'learned' | 'sinusoidal' | 'rope' | 'none';
export type PairInteraction = 'concat' | 'nli';
/** 'lra': LRA's classifier_head (Dense, ReLU, Dense; the dual head for pairs). 's4': S4's decoder (s4-head.ts). */
export type HeadKind = 'lra' | 's4';
/**
 * Which of the encoder's own parameters take weight decay (a mixer's opt-outs always stand).
 * 'lra': all (flax's Adam, and minimal-LRU's groups). 's4': none on biases, norms and embedding
 * tables (state-spaces/s4's optimizer_param_grouping). 's5': none on norms (lindermanlab/S5 puts
 * them with the SSM parameters).
 */
export type DecayGroups = 'lra' | 's4' | 's5';
export const decayGroupsKinds: readonly DecayGroups[] = ['lra', 's4', 's5'];
export const backbones: readonly Backbone[] = ['transformer', 'ssm'];
export const headKinds: readonly HeadKind[] = ['lra', 's4'];

export interface ClassifierConfig {
  vocabSize: number;
  /** The task's length, without a CLS token. */
  seqLen: number;
  numClasses: number;
  dModel: number;
  heads: number;
  layers: number;
  mlpDim: number;
  dropout: number;
  attentionDropout: number;
  pool: Pooling;
  positions: PositionEncoding;
  mixer: MixerName;
  mixerOptions: Record<string, unknown>;
  /**
   * Default: the block style the mixer's paper uses (its spec), else pre-ln. In the ssm backbone:
   * where each block's norm sits (S4's prenorm flag); default pre-ln (S4's model/base.yaml).
   */
  block?: BlockStyle;
  /** Default: the mixer's spec (MixerSpec.backbone), else 'transformer'. */
  backbone?: Backbone;
  /**
   * The ssm backbone's normalisation: 'layer' (default) or 'batch' (running statistics; see
   * nn/batch-norm.ts). The transformer backbone takes only 'layer'.
   */
  norm?: SequenceNormKind;
  /**
   * Weight of the newest batch in batch norm's running statistics (torch's momentum); default
   * 0.1, torch's. flax counts the other way: S5's bn_momentum 0.95 is 0.05 here. Needs norm 'batch'.
   */
  batchNormMomentum?: number;
  /** Default: 'lra' in the transformer backbone (which takes no other), 's4' in the ssm backbone. */
  decayGroups?: DecayGroups;
  /** The ssm backbone's dropout with one mask per example and channel over the whole length (S4's tie_dropout). Default false. */
  tieDropout?: boolean;
  /** Default: 'lra' in the transformer backbone, 's4' in the ssm backbone. */
  head?: HeadKind;
  /**
   * 'embedding' (default): a table of vectors, one per token id. 'linear': the value each id
   * stands for (`tokenValues`) through one Linear(1 -> dModel), as S4, S5 and Mega encode pixels.
   */
  encoder?: 'embedding' | 'linear';
  /** What each token id stands for; needed by encoder 'linear' (value-encoder.ts). */
  tokenValues?: TokenValues;
  /** Width of the head's hidden layer; default mlpDim. */
  classifierHidden?: number;
  /** Two documents per example (retrieval): one shared encoder, a head over both. */
  pair?: boolean;
  /** How a pair's two pooled vectors are combined; default 'concat'; unused without pair. */
  pairInteraction?: PairInteraction;
  /**
   * Default 1e-6 (flax, LRA); FNet uses 1e-12. The ssm backbone's norms (layer or batch) default
   * to torch's 1e-5.
   */
  layerNormEps?: number;
  /**
   * Reversible residual blocks (RevNet, as the Reformer uses them): two streams, activations
   * rebuilt in the backward pass, so activation memory does not grow with depth. Needs pre-LN
   * blocks and a mixer that keeps the length and leaves the residual to the block. Default false.
   */
  reversible?: boolean;
  /**
   * 'block': each block keeps only its input in the forward pass and is run again in the backward
   * pass (activation recomputation), for every mixer. Default 'none'. Reversible stacks already
   * recompute and take no setting here.
   */
  recompute?: 'none' | 'block';
  /**
   * Token ids the padding mask treats as padding; default [0] (what batches are padded with), and
   * 0 must be among them. LRA's image models also mask grey level 0: [0, <grey 0's id>].
   */
  paddingIds?: readonly number[];
}

const KNOWN_KEYS: ReadonlySet<string> = new Set([
  'vocabSize', 'seqLen', 'numClasses', 'dModel', 'heads', 'layers', 'mlpDim', 'dropout', 'attentionDropout',
  'pool', 'positions', 'mixer', 'mixerOptions', 'block', 'classifierHidden', 'pair', 'pairInteraction',
  'layerNormEps', 'reversible', 'recompute', 'paddingIds', 'backbone', 'norm', 'head', 'batchNormMomentum', 'encoder', 'tokenValues', 'tieDropout', 'decayGroups',
]);

export function backboneOf(config: ClassifierConfig): Backbone {
  return config.backbone ?? getMixer(config.mixer).backbone ?? 'transformer';
}

export function blockStyleOf(config: ClassifierConfig): BlockStyle {
  if (config.block) return config.block;
  // The mixer's paper's block style describes a transformer block; S4's backbone defaults to prenorm.
  return backboneOf(config) === 'ssm' ? 'pre-ln' : (getMixer(config.mixer).block ?? 'pre-ln');
}

export function normKindOf(config: ClassifierConfig): SequenceNormKind {
  return config.norm ?? 'layer';
}

export function decayGroupsOf(config: ClassifierConfig): DecayGroups {
  return config.decayGroups ?? (backboneOf(config) === 'ssm' ? 's4' : 'lra');
}

export function headKindOf(config: ClassifierConfig): HeadKind {
  return config.head ?? (backboneOf(config) === 'ssm' ? 's4' : 'lra');
}

/** Length the encoder's mixers see first: the task length plus the CLS token when pooling on it. */
export function encoderLength(config: Pick<ClassifierConfig, 'seqLen' | 'pool'>): number {
  return config.seqLen + (config.pool === 'cls' ? 1 : 0);
}

/** The length each block's mixer sees, following mixers that declare a shorter output. */
export function mixerLengths(config: ClassifierConfig, options: object): number[] {
  const spec = getMixer(config.mixer) as MixerSpec<object>;
  const lengths: number[] = [];
  let n = encoderLength(config);
  for (let layer = 0; layer < config.layers; layer++) {
    lengths.push(n);
    n = spec.outputLength ? spec.outputLength(n, options, { layer, hasCls: config.pool === 'cls' }) : n;
  }
  return lengths;
}

// Hands validate() a scope that refuses to create parameters: validation allocates nothing.
const noParams: ParamScope = {
  prefix: '',
  add(name: string): tf.Variable {
    throw new Error(`a mixer's validate() must not create parameters (tried "${name}")`);
  },
  scope(): ParamScope {
    return noParams;
  },
};

function positiveInteger(value: unknown): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value > 0;
}

/** Every problem with the config, each a sentence; empty when it is valid. */
export function classifierConfigProblems(config: ClassifierConfig): string[] {
  const problems: string[] = [];
  const raw = config as unknown as Record<string, unknown>;
  for (const key of Object.keys(raw)) {
    if (!KNOWN_KEYS.has(key) && raw[key] !== undefined) problems.push(`unknown config key "${key}"`);
  }
  for (const key of ['vocabSize', 'seqLen', 'numClasses', 'dModel', 'heads', 'layers', 'mlpDim'] as const) {
    if (!positiveInteger(config[key])) problems.push(`${key} must be a positive integer, got ${JSON.stringify(config[key])}`);
  }
  for (const key of ['dropout', 'attentionDropout'] as const) {
    const rate = config[key];
    if (!(typeof rate === 'number' && rate >= 0 && rate < 1)) problems.push(`${key} must be in [0, 1), got ${JSON.stringify(rate)}`);
  }
  if (!poolings.includes(config.pool)) problems.push(`pool must be ${poolings.map((p) => `"${p}"`).join(', ')}, got ${JSON.stringify(config.pool)}`);
  if (config.paddingIds !== undefined) {
    const ids = config.paddingIds;
    if (!Array.isArray(ids) || !ids.every((id) => Number.isInteger(id) && id >= 0)) {
      problems.push(`paddingIds must be a list of token ids, got ${JSON.stringify(ids)}`);
    } else if (!ids.includes(0)) {
      problems.push(`paddingIds must include 0, the id batches are padded with; got ${JSON.stringify(ids)}`);
    } else if (positiveInteger(config.vocabSize) && ids.some((id) => id >= config.vocabSize)) {
      problems.push(`paddingIds must be below vocabSize ${config.vocabSize}, got ${JSON.stringify(ids)}`);
    }
  }
  if (!['learned', 'sinusoidal', 'rope', 'none'].includes(config.positions)) {
    problems.push(`positions must be "learned", "sinusoidal", "rope" or "none", got ${JSON.stringify(config.positions)}`);
  } else if (config.positions === 'sinusoidal' && positiveInteger(config.dModel) && config.dModel % 2 !== 0) {
    problems.push(`sinusoidal positions need an even dModel, got ${config.dModel}`);
  }
  if (config.block !== undefined && config.block !== 'pre-ln' && config.block !== 'post-ln') {
    problems.push(`block must be "pre-ln" or "post-ln", got ${JSON.stringify(config.block)}`);
  }
  if (config.classifierHidden !== undefined && !positiveInteger(config.classifierHidden)) {
    problems.push(`classifierHidden must be a positive integer, got ${JSON.stringify(config.classifierHidden)}`);
  }
  const hidden = config.classifierHidden ?? config.mlpDim;
  if (config.pair && positiveInteger(hidden) && hidden < 2) {
    problems.push(`a pair head halves its hidden width; ${hidden} is too small`);
  }
  // Without pair the interaction is unused; a config may still carry its default.
  if (config.pairInteraction !== undefined && config.pairInteraction !== 'concat' && config.pairInteraction !== 'nli') {
    problems.push(`pairInteraction must be "concat" or "nli", got ${JSON.stringify(config.pairInteraction)}`);
  }
  if (config.layerNormEps !== undefined && !(typeof config.layerNormEps === 'number' && config.layerNormEps > 0)) {
    problems.push(`layerNormEps must be positive, got ${JSON.stringify(config.layerNormEps)}`);
  }
  if (config.backbone !== undefined && !backbones.includes(config.backbone)) {
    problems.push(`backbone must be ${backbones.map((b) => `"${b}"`).join(' or ')}, got ${JSON.stringify(config.backbone)}`);
  }
  if (config.norm !== undefined && !sequenceNormKinds.includes(config.norm)) {
    problems.push(`norm must be ${sequenceNormKinds.map((k) => `"${k}"`).join(' or ')}, got ${JSON.stringify(config.norm)}`);
  }
  if (config.decayGroups !== undefined && !decayGroupsKinds.includes(config.decayGroups)) {
    problems.push(`decayGroups must be ${decayGroupsKinds.map((k) => `"${k}"`).join(', ')}, got ${JSON.stringify(config.decayGroups)}`);
  }
  if (config.tieDropout !== undefined && typeof config.tieDropout !== 'boolean') {
    problems.push(`tieDropout must be true or false, got ${JSON.stringify(config.tieDropout)}`);
  }
  if (config.batchNormMomentum !== undefined) {
    const m = config.batchNormMomentum;
    if (!(typeof m === 'number' && m >= 0 && m <= 1)) problems.push(`batchNormMomentum must be in [0, 1], got ${JSON.stringify(m)}`);
    else if (config.norm !== 'batch') problems.push(`batchNormMomentum needs norm "batch"`);
  }
  if (config.encoder !== undefined && config.encoder !== 'embedding' && config.encoder !== 'linear') {
    problems.push(`encoder must be "embedding" or "linear", got ${JSON.stringify(config.encoder)}`);
  } else if (config.encoder === 'linear') {
    const v = config.tokenValues;
    if (!v || ![v.offset, v.scale, v.mean, v.std].every((n) => typeof n === 'number' && Number.isFinite(n)) || !(v.std > 0)) {
      problems.push(`encoder "linear" needs tokenValues {offset, scale, mean, std > 0} (what each token id stands for), got ${JSON.stringify(v)}`);
    }
  }
  if (config.head !== undefined && !headKinds.includes(config.head)) {
    problems.push(`head must be ${headKinds.map((h) => `"${h}"`).join(' or ')}, got ${JSON.stringify(config.head)}`);
  }
  if (config.reversible !== undefined && typeof config.reversible !== 'boolean') {
    problems.push(`reversible must be true or false, got ${JSON.stringify(config.reversible)}`);
  }

  if (!isMixerName(config.mixer)) {
    problems.push(`unknown mixer "${config.mixer}"; known: ${mixerNames.join(', ')}`);
    return problems;
  }
  let options: object;
  try {
    options = resolveMixerOptions(config.mixer, config.mixerOptions ?? {});
  } catch (error) {
    problems.push((error as Error).message);
    return problems;
  }
  if (problems.length > 0) return problems;

  const spec = getMixer(config.mixer) as MixerSpec<object>;
  if (config.positions === 'rope' && !spec.rope) {
    problems.push(`mixer ${config.mixer} does not support positions 'rope'`);
    return problems;
  }
  if (config.recompute !== undefined && config.recompute !== 'none' && config.recompute !== 'block') {
    problems.push(`recompute must be 'none' or 'block', got ${JSON.stringify(config.recompute)}`);
  }
  if (config.reversible === true && config.recompute === 'block') {
    problems.push(`recompute 'block' has nothing to add to reversible blocks, which already rebuild their activations: choose one`);
  }
  if (config.reversible === true) problems.push(...reversibleProblems(config, spec, options));
  problems.push(...backboneProblems(config, spec, options));
  // Blocks that see the same length get the same verdict: report it once with their indices.
  const verdicts = new Map<string, number[]>();
  mixerLengths(config, options).forEach((seqLen, layer) => {
    const args: MixerArgs = {
      dModel: config.dModel,
      heads: config.heads,
      seqLen,
      dropout: config.dropout,
      attentionDropout: config.attentionDropout,
      params: noParams,
      layer,
      hasCls: config.pool === 'cls',
      rope: config.positions === 'rope',
    };
    const problem = positiveInteger(seqLen)
      ? spec.validate?.(args, options)
      : `the sequence was shortened to ${seqLen}`;
    if (problem) {
      const key = `mixer ${config.mixer} at length ${seqLen}: ${problem}`;
      verdicts.set(key, [...(verdicts.get(key) ?? []), layer]);
    }
  });
  for (const [verdict, layers] of verdicts) problems.push(`${verdict} (layer${layers.length > 1 ? 's' : ''} ${layers.join(', ')})`);
  return problems;
}

/**
 * Why this config cannot have reversible blocks. A post-LN block, LN(x + F(x)), cannot be
 * inverted, and a block must keep the length for its input to be rebuilt from its output. (A
 * mixer that owns its residual is refused when it is built: only the built mixer says so.)
 */
function reversibleProblems(config: ClassifierConfig, spec: MixerSpec<object>, options: object): string[] {
  const problems: string[] = [];
  if (blockStyleOf(config) !== 'pre-ln') {
    const origin = config.block === undefined ? `the default of mixer ${config.mixer}` : 'set by block';
    problems.push(`reversible blocks need pre-ln blocks; these are post-ln (${origin}), and LN(x + F(x)) has no inverse`);
  }
  if (spec.outputLength) {
    const lengths = mixerLengths(config, options);
    const shortened = lengths.findIndex(
      (n, layer) => positiveInteger(n) && spec.outputLength!(n, options, { layer, hasCls: config.pool === 'cls' }) !== n,
    );
    if (shortened >= 0) problems.push(`reversible blocks need a mixer that keeps the length, and mixer ${config.mixer} shortens it (layer ${shortened})`);
  }
  return problems;
}

/** Why this config's backbone cannot be built with its settings. */
function backboneProblems(config: ClassifierConfig, spec: MixerSpec<object>, options: object): string[] {
  const problems: string[] = [];
  if (backboneOf(config) === 'transformer') {
    if (config.norm === 'batch') problems.push(`norm "batch" needs backbone "ssm" (LRA's transformer blocks use LayerNorm)`);
    if (config.tieDropout) problems.push(`tieDropout needs backbone "ssm"`);
    if (config.decayGroups !== undefined && config.decayGroups !== 'lra') problems.push(`decayGroups "${config.decayGroups}" needs backbone "ssm"`);
    return problems;
  }
  if (config.reversible === true) problems.push(`reversible blocks are transformer blocks: backbone "ssm" cannot have them`);
  if (spec.outputLength) {
    const lengths = mixerLengths(config, options);
    const shortened = lengths.findIndex(
      (n, layer) => positiveInteger(n) && spec.outputLength!(n, options, { layer, hasCls: config.pool === 'cls' }) !== n,
    );
    if (shortened >= 0) problems.push(`backbone "ssm" needs a mixer that keeps the length, and mixer ${config.mixer} shortens it (layer ${shortened})`);
  }
  return problems;
}

/** Throws one error listing every problem; allocates nothing. createClassifier calls it first. */
export function validateClassifierConfig(config: ClassifierConfig): void {
  const problems = classifierConfigProblems(config);
  if (problems.length > 0) throw new Error(`invalid classifier config: ${problems.join('; ')}`);
}
