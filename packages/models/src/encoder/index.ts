export * from './config.js';
export * from './classifier.js';
export * from './describe.js';
export { encoderBlock, type EncoderBlock, type EncoderBlockOptions } from './block.js';
export { poolCls, poolMean, poolMeanAll } from './pooling.js';
export { paddingMask } from './padding-mask.js';
export { classifierHead, pairHead, type Head, type PairHead } from './head.js';
export { reversibleBlock, type ReversibleBlock, type ReversibleBlockOptions } from './reversible-block.js';
export { reversibleStack, type ReversibleBackward, type ReversibleStack } from './reversible-stack.js';
