// Introspection of trained models: what each mixer learned (filters, attention, impulse
// responses) and the linear response of every layer, on one frequency axis.
export * from './inspection.js';
export * from './frequency.js';
export * from './linear-response.js';
export * from './attention-stats.js';
export * from './filter-stats.js';
export * from './model-analysis.js';
