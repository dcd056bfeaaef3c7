// The classifier LRA's Transformer is, with the mixer as the one exchangeable part:
// tokens -> embedding (+ CLS) + positions -> dropout -> blocks -> [final LN] -> pool -> head.
// With reversible: true the blocks are one reversible stack (reversible-stack.ts) instead; with
// recompute: 'block' each block's activations are recomputed in the backward pass (recomputed-block.ts).
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
import {
  validateClassifierConfig,
  blockStyleOf,
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
  const eps = config.layerNormEps ?? spec.layerNormEps ?? LRA_LAYER_NORM_EPS;
  const maxLength = encoderLength(config);
  const store = new ParamStore(seed);
  try {
    const embed = store.scope('embed');
    // Initialisers as LRA: token embedding normal(1.0), CLS zeros, learned positions normal(0.02).
    const tokenEmbedding = embedding(embed, 'tokens', { vocabSize: config.vocabSize, dim: dModel });
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
    const blocks: EncoderBlock[] = reversible
      ? []
      : lengths.map((_, layer) => {
          const blockParams: tf.Variable[] = [];
          const scope = config.recompute === 'block' ? collectingScope(store.scope(`layer${layer}`), blockParams) : store.scope(`layer${layer}`);
          const block = encoderBlock(scope, createMixer(layer, scope.scope('mixer')), { style, ...blockOptions });
          return config.recompute === 'block' ? recomputedBlock(block, blockParams) : block;
        });
    // Post-LN blocks already end in a LayerNorm.
    const finalNorm = style === 'pre-ln' ? layerNorm(store, 'encoderNorm', dModel, eps) : null;

    const hidden = config.classifierHidden ?? config.mlpDim;
    const headScope = store.scope('head');
    const singleHead = config.pair ? null : classifierHead(headScope, dModel, hidden, config.numClasses);
    const doubleHead = config.pair
      ? pairHead(headScope, dModel, hidden, config.numClasses, config.pairInteraction ?? 'concat')
      : null;

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
      x = dropout(x, config.dropout, ctx);

      let blockMask: tf.Tensor2D | null = mask;
      if (reversible) x = reversible.apply(x, mask, ctx);
      for (const block of blocks) {
        x = block.apply(x, blockMask, ctx);
        // A mixer that shortened the sequence leaves no token-aligned mask behind.
        if (blockMask && x.shape[1] !== blockMask.shape[1]) blockMask = null;
      }
      if (finalNorm) x = finalNorm.apply(x);
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
