import { createHash } from 'node:crypto';
import type { ExperimentConfig } from '../config/types.js';

/**
 * Settings that say where or by which backend a run happened, not what was trained: runs that
 * differ only in these are seeds of one experiment and may be averaged together.
 */
export const CONFIG_KEYS_IGNORED_FOR_GROUPING = ['seed', 'out', 'backend', 'data.dataDir', 'data.source'] as const;

/** A config flattened to dotted keys (`train.lr`), objects recursed into, arrays kept whole. */
export function flattenConfig(value: unknown, prefix = ''): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { [prefix]: value };
  const out: Record<string, unknown> = {};
  const keys = Object.keys(value).sort();
  if (keys.length === 0 && prefix) out[prefix] = {};
  for (const k of keys) Object.assign(out, flattenConfig((value as Record<string, unknown>)[k], prefix ? `${prefix}.${k}` : k));
  return out;
}

/** The settings that define an experiment: the flattened config without the ignored keys. */
export function experimentSettings(config: ExperimentConfig, dataVariant: string | null = null): Record<string, unknown> {
  const flat = flattenConfig(config);
  for (const key of CONFIG_KEYS_IGNORED_FOR_GROUPING) delete flat[key];
  // The data a run read is part of the experiment even when the config names it only by a path.
  if (dataVariant !== null) flat['data.variant'] = dataVariant;
  return flat;
}

/** A short stable hash of experimentSettings: equal for seeds of one experiment. */
export function configHash(config: ExperimentConfig, dataVariant: string | null = null): string {
  const settings = experimentSettings(config, dataVariant);
  const canonical = JSON.stringify(Object.keys(settings).sort().map((k) => [k, settings[k]]));
  return createHash('sha256').update(canonical).digest('hex').slice(0, 10);
}
