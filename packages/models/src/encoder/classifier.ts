// The classifier LRA's Transformer is, with the mixer as the one exchangeable part:
// tokens -> embedding (+ CLS) + positions -> dropout -> blocks -> [final LN] -> pool -> head.
// With reversible: true the blocks are one reversible stack (reversible-stack.ts) instead; with
// recompute: 'block' each block's activations are recomputed in the backward pass (recomputed-block.ts).
// With backbone 'ssm' it is state-spaces/s4's SequenceModel with its LRA encoder and decoder:
// tokens -> embedding (+ CLS) + positions -> residual blocks without a feed-forward (ssm-block.ts)
// -> [final norm when prenorm] -> pool -> S4's head, with S4's weight-decay groups by default
// (decay-rules.ts; decayGroups) and no dropout on the embedding (S4's dropinp is 0).
import * as tf from '@tensorflow/tfjs';
import type { ForwardContext } from '../nn/context.js';
import { dropout } from '../nn/dropout.js';
import { embedding } from '../nn/embedding.js';
import { normal, zeros } from '../nn/initializers.js';
import { LRA_LAYER_NORM_EPS, layerNorm } from '../nn/layer-norm.js';
import { ParamStore, type ParamScope } from '../nn/params.js';
import { sinusoidalPositions } from '../nn/positions.js';
import { getMixer, resolveMixerOptions } from '../mixers/registry.js';
import type { Mixer, MixerSpec } from '../mixers/types.js';
import { encoderBlock, type EncoderBlock } from './block.js';
import { biasesWithoutDecay, withoutDecay } from './decay-rules.js';
import { s4Head, s4PairHead } from './s4-head.js';
import { sequenceNorm, type SequenceNorm } from './sequence-norm.js';
import { ssmBlock } from './ssm-block.js';
import { valueEncoder } from './value-encoder.js';
import {
  validateClassifierConfig,
  backboneOf,
  blockStyleOf,
  decayGroupsOf,
  headKindOf,
  normKindOf,
  encoderLength,
  mixerLengths,
  type ClassifierConfig,
} from './config.js';
import { collectingScope } from './collecting-scope.js';
import { classifierHead, pairHead } from './head.js';
import { recomputedBlock } from './recomputed-block.js';
import { paddingMask } from './padding-mask.js';
import { poolCls, poolMean, poolMeanAll } from './pooling.js';
import { reversibleBlock } from './reversible-block.js';
import { reversibleStack, type ReversibleBackward } from './reversible-stack.js';

export interface ClassifierInputs {
  /** int32 [B, N], N <= seqLen, 0 = padding. */
  tokens: tf.Tensor2D;
  /** The second document of a pair task, int32 [B, N2]. */
  tokens2?: tf.Tensor2D;
}

export interface Classifier {
  readonly config: ClassifierConfig;
  readonly params: ParamStore;
  /** Unnormalised class scores [B, numClasses]. */
  logits(inputs: ClassifierInputs, ctx: ForwardContext): tf.Tensor2D;
  paramCount(): number;
  dispose(): void;
}

export interface ClassifierBuildOptions {
  /**
   * How a reversible encoder (config.reversible) computes its gradients; default 'recompute', the
   * point of it. 'autodiff' computes the same function keeping every activation: a reference.
   */
  reversibleBackward?: ReversibleBackward;
}

/** torch's LayerNorm and BatchNorm1d eps: the ssm backbone's default. */
const TORCH_NORM_EPS = 1e-5;

/** LRA's final LayerNorm seen as a sequence norm (it needs no mask or context). */
function lraFinalNorm(norm: { apply<T extends tf.Tensor>(x: T): T }): SequenceNorm {
  return { apply: (x) => norm.apply(x) };
}

/**
 * Builds the model with every parameter initialised from `seed`. The config is validated first:
 * an invalid one throws, listing every problem, before any tensor exists.
 */
export function createClassifier(config: ClassifierConfig, seed: number, build: ClassifierBuildOptions = {}): Classifier {
  validateClassifierConfig(config);
  const spec = getMixer(config.mixer) as MixerSpec<object>;
  const options = resolveMixerOptions(config.mixer, config.mixerOptions);
  const { dModel } = config;
  const style = blockStyleOf(config);
  const ssm = backboneOf(config) === 'ssm';
  const eps = config.layerNormEps ?? (ssm ? TORCH_NORM_EPS : (spec.layerNormEps ?? LRA_LAYER_NORM_EPS));
  const maxLength = encoderLength(config);
  const store = new ParamStore(seed);
  try {
    // S4's groups: embedding tables and norms without weight decay, and every bias (a Linear
    // encoder's weight decays: it is no nn.Embedding). S5's: norms only. LRA's: none.
    const decay = decayGroupsOf(config);
    const root: ParamScope = decay === 's4' ? biasesWithoutDecay(store) : store;
    const embed = decay === 's4' ? withoutDecay(store.scope('embed')) : store.scope('embed');
    const normScope = decay === 'lra' ? store : withoutDecay(store);
    // Initialisers as LRA: token embedding normal(1.0), CLS zeros, learned positions normal(0.02).
    // (torch's nn.Embedding, S4's encoder, also draws normal(1.0).)
    const tokenEmbedding =
      config.encoder === 'linear'
        ? valueEncoder(root.scope('embed').scope('values'), dModel, config.tokenValues!)
        : embedding(embed, 'tokens', { vocabSize: config.vocabSize, dim: dModel });
    const cls = config.pool === 'cls' ? embed.add('cls', [1, 1, dModel], zeros()) : null;
    const learnedPositions =
      config.positions === 'learned' ? embed.add('positions', [maxLength, dModel], normal(0.02)) : null;
    const fixedPositions = config.positions === 'sinusoidal' ? sinusoidalPositions(maxLength, dModel) : null;

    const lengths = mixerLengths(config, options);
    const createMixer = (layer: number, params: ParamScope): Mixer =>
      spec.create(
        {
          dModel,
          heads: config.heads,
          seqLen: lengths[layer]!,
          dropout: config.dropout,
          attentionDropout: config.attentionDropout,
          params,
          layer,
          hasCls: config.pool === 'cls',
          rope: config.positions === 'rope',
          seed,
          blockStyle: style,
        },
        options,
      );
    const blockOptions = { dModel, mlpDim: config.mlpDim, dropout: config.dropout, layerNormEps: eps };
    const reversible = config.reversible
      ? reversibleStack(
          lengths.map((_, layer) => reversibleBlock(store.scope(`layer${layer}`), (params) => createMixer(layer, params), blockOptions)),
          build.reversibleBackward ?? 'recompute',
        )
      : null;
    const ssmOptions = {
      prenorm: style === 'pre-ln',
      norm: normKindOf(config),
      dModel,
      dropout: config.dropout,
      normEps: eps,
      ...(config.batchNormMomentum === undefined ? {} : { normMomentum: config.batchNormMomentum }),
      ...(config.tieDropout ? { tieDropout: true } : {}),
      normDecay: decay === 'lra',
    };
    const blocks: EncoderBlock[] = reversible
      ? []
      : lengths.map((_, layer) => {
          const blockParams: tf.Variable[] = [];
          const layerScope = root.scope(`layer${layer}`);
          const scope = config.recompute === 'block' ? collectingScope(layerScope, blockParams) : layerScope;
          const mixer = createMixer(layer, scope.scope('mixer'));
          const block = ssm ? ssmBlock(scope, mixer, ssmOptions) : encoderBlock(scope, mixer, { style, ...blockOptions });
          return config.recompute === 'block' ? recomputedBlock(block, blockParams) : block;
        });
    // Post-norm blocks already end in a norm.
    const finalNorm: SequenceNorm | null =
      style !== 'pre-ln'
        ? null
        : ssm
          ? sequenceNorm(ssmOptions.norm, normScope, 'encoderNorm', dModel, eps, config.batchNormMomentum)
          : lraFinalNorm(layerNorm(store, 'encoderNorm', dModel, eps));

    const hidden = config.classifierHidden ?? config.mlpDim;
    const headScope = root.scope('head');
    const s4Decoder = headKindOf(config) === 's4';
    const singleHead = config.pair
      ? null
      : s4Decoder
        ? s4Head(headScope, dModel, config.numClasses)
        : classifierHead(headScope, dModel, hidden, config.numClasses);
    const doubleHead = !config.pair
      ? null
      : s4Decoder
        ? s4PairHead(headScope, dModel, config.numClasses)
        : pairHead(headScope, dModel, hidden, config.numClasses, config.pairInteraction ?? 'concat');

    /** tokens [B, N] -> pooled [B, D]. */
    const encode = (tokens: tf.Tensor2D, ctx: ForwardContext): tf.Tensor2D => {
      const [batch, length] = tokens.shape;
      if (length > config.seqLen) {
        throw new Error(`input length ${length} exceeds the model's seqLen ${config.seqLen}`);
      }
      let mask = paddingMask(tokens, config.paddingIds);
      let x = tokenEmbedding.apply(tokens);
      if (cls) {
        x = tf.concat([tf.tile(cls, [batch, 1, 1]), x], 1) as tf.Tensor3D;
        mask = tf.concat([tf.ones([batch, 1]), mask], 1) as tf.Tensor2D;
      }
      const n = x.shape[1];
      if (learnedPositions) x = tf.add(x, tf.slice(learnedPositions, [0, 0], [n, dModel]));
      if (fixedPositions) x = tf.add(x, tf.tensor2d(fixedPositions.subarray(0, n * dModel), [n, dModel]));
      if (!ssm) x = dropout(x, config.dropout, ctx);

      let blockMask: tf.Tensor2D | null = mask;
      if (reversible) x = reversible.apply(x, mask, ctx);
      for (const block of blocks) {
        x = block.apply(x, blockMask, ctx);
        // A mixer that shortened the sequence leaves no token-aligned mask behind.
        if (blockMask && x.shape[1] !== blockMask.shape[1]) blockMask = null;
      }
      if (finalNorm) x = finalNorm.apply(x, blockMask, ctx);
      switch (config.pool) {
        case 'cls':
        case 'first':
          return poolCls(x);
        case 'mean-all':
          return poolMeanAll(x);
        case 'mean':
          return poolMean(x, blockMask);
      }
    };

    return {
      config,
      params: store,
      logits(inputs: ClassifierInputs, ctx: ForwardContext): tf.Tensor2D {
        if (config.pair && !inputs.tokens2) throw new Error('this is a pair classifier: logits() needs tokens2');
        if (!config.pair && inputs.tokens2) throw new Error('tokens2 given to a classifier built without pair: true');
        return tf.tidy(() => {
          if (!doubleHead || !inputs.tokens2) return singleHead!.apply(encode(inputs.tokens, ctx));
          const first = inputs.tokens;
          const second = inputs.tokens2;
          if (first.shape[0] !== second.shape[0]) {
            throw new Error(`tokens has ${first.shape[0]} rows but tokens2 has ${second.shape[0]}`);
          }
          // One pass of the shared encoder over both documents: pad them to one length (padding
          // changes nothing but a 'mean-all' pool, and batches give both at one width) and stack
          // them along the batch.
          const length = Math.max(first.shape[1], second.shape[1]);
          const padTo = (t: tf.Tensor2D): tf.Tensor2D =>
            t.shape[1] === length ? t : tf.pad(t, [[0, 0], [0, length - t.shape[1]]]);
          const pooled = encode(tf.concat([padTo(first), padTo(second)], 0) as tf.Tensor2D, ctx);
          const [e1, e2] = tf.split(pooled, 2, 0) as [tf.Tensor2D, tf.Tensor2D];
          return doubleHead.apply(e1, e2);
        });
      },
      paramCount: () => store.count(),
      dispose: () => store.dispose(),
    };
  } catch (error) {
    store.dispose();
    throw error;
  }
}
