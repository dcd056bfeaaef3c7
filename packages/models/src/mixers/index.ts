export * from './types.js';
export * from './registry.js';
export { attention, MASKED_SCORE, type AttentionOptions } from './attention.js';
