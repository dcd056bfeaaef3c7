export * as spectral from './spectral/index.js';
export * from './backend/index.js';
export * from './nn/index.js';
export * from './mixers/index.js';
export * from './encoder/index.js';
export * from './analysis/index.js';
