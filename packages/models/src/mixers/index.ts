export * from './types.js';
export * from './registry.js';
export * from './catalog.js';
export { attention, MASKED_SCORE, type AttentionOptions } from './attention.js';
