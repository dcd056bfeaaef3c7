export * as spectral from './spectral/index.js';
