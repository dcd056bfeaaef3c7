// The registry is built from imports, so a missing mixer file fails the type check and
// MixerName is a union of the registered names.
import { attention } from './attention.js';
import { kernelMixers } from './groups/kernel.js';
import { lraTableMixers } from './groups/lra-table.js';
import { sequenceMixers } from './groups/sequence.js';
import { sparseMixers } from './groups/sparse.js';
import { spectralMixers } from './groups/spectral.js';
import type { MixerSpec } from './types.js';

// Each family lists its mixers in groups/<family>.ts (with `satisfies`, so names stay literal).
export const mixers = {
  attention,
  ...spectralMixers,
  ...sequenceMixers,
  ...kernelMixers,
  ...sparseMixers,
  ...lraTableMixers,
} satisfies Record<string, MixerSpec<any>>;

export type MixerName = keyof typeof mixers;
export type MixerOptions<N extends MixerName> = (typeof mixers)[N]['defaults'];

export const mixerNames = Object.keys(mixers) as MixerName[];

export function isMixerName(name: string): name is MixerName {
  return Object.prototype.hasOwnProperty.call(mixers, name);
}

export function getMixer<N extends MixerName>(name: N): (typeof mixers)[N];
export function getMixer(name: string): MixerSpec<Record<string, unknown>>;
export function getMixer(name: string): MixerSpec<any> {
  if (!isMixerName(name)) throw new Error(`unknown mixer "${name}"; known: ${mixerNames.join(', ')}`);
  return mixers[name];
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `array ${JSON.stringify(value)}`;
  return `${typeof value} ${JSON.stringify(value)}`;
}

/**
 * A value's type must match its default's: number (finite), string, boolean, or array. A null
 * default marks an optional number (null or a finite number).
 */
function typeProblem(defaultValue: unknown, value: unknown): string | null {
  if (defaultValue === null) {
    return value === null || (typeof value === 'number' && Number.isFinite(value)) ? null : 'must be a number or null';
  }
  if (Array.isArray(defaultValue)) return Array.isArray(value) ? null : 'must be an array';
  if (typeof defaultValue === 'number') {
    return typeof value === 'number' && Number.isFinite(value) ? null : 'must be a finite number';
  }
  return typeof value === typeof defaultValue ? null : `must be a ${typeof defaultValue}`;
}

/**
 * The mixer's defaults overridden by `partial`. Unknown keys, values of the wrong type and
 * values outside a declared set of choices are errors naming the option and the mixer.
 */
export function resolveMixerOptions<N extends MixerName>(name: N, partial?: Record<string, unknown>): MixerOptions<N>;
export function resolveMixerOptions(name: string, partial?: Record<string, unknown>): Record<string, unknown>;
export function resolveMixerOptions(name: string, partial: Record<string, unknown> = {}): Record<string, unknown> {
  const spec = getMixer(name);
  const defaults = spec.defaults as Record<string, unknown>;
  const choices = (spec.choices ?? {}) as Record<string, readonly unknown[] | undefined>;
  const known = Object.keys(defaults);
  const resolved: Record<string, unknown> = { ...defaults };
  for (const [key, value] of Object.entries(partial)) {
    if (!known.includes(key)) {
      throw new Error(`unknown option "${key}" for mixer ${name}; known: ${known.join(', ') || '(none)'}`);
    }
    const nullable = ((spec.nullable ?? []) as readonly string[]).includes(key);
    const problem = nullable && value === null ? null : typeProblem(defaults[key], value);
    if (problem) throw new Error(`option "${key}" of mixer ${name} ${problem}, got ${describeValue(value)}`);
    const allowed = choices[key];
    if (allowed && !allowed.includes(value)) {
      throw new Error(
        `option "${key}" of mixer ${name} must be one of ${allowed.map((c) => JSON.stringify(c)).join(', ')}, got ${describeValue(value)}`,
      );
    }
    resolved[key] = value;
  }
  return resolved;
}
