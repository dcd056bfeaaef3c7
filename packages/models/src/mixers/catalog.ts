// What `lra mixers` prints: every registered mixer with its metadata and its parameter count at
// a given width and length.
import { ParamStore } from '../nn/params.js';
import { mixerNames, mixers } from './registry.js';
import type { BlockStyle, MixerArgs, MixerKind, MixerSpec } from './types.js';

export interface MixerSummary {
  name: string;
  title: string;
  paper: string;
  kind: MixerKind;
  block: BlockStyle;
  defaults: Record<string, unknown>;
  /** Parameters of one mixer with its default options; null when it cannot take these sizes. */
  params: number | null;
  /** Why it cannot, or null. */
  problem: string | null;
  /**
   * The implementations its `impl` option offers: 'clean' (the paper's method as written), 'lra'
   * (as the Long Range Arena's code builds it), 'reference' (as its authors' code builds it). A
   * mixer without the option is clean only.
   */
  implementations: string[];
}

/** What a spec's `impl` choices say it implements; ['clean'] when it has no such option. */
export function implementationsOf(spec: Pick<MixerSpec<object>, 'choices'>): string[] {
  const choices = (spec.choices ?? {}) as Record<string, readonly unknown[] | undefined>;
  const impl = choices.impl;
  return impl ? impl.map(String) : ['clean'];
}

export interface MixerSizes {
  dModel: number;
  heads: number;
  /** Length the mixer sees (a CLS token included if there is one). */
  seqLen: number;
}

export function listMixers(sizes: MixerSizes): MixerSummary[] {
  return mixerNames.map((name) => {
    const spec = mixers[name] as MixerSpec<object>;
    const store = new ParamStore(1);
    try {
      const args: MixerArgs = { ...sizes, dropout: 0, attentionDropout: 0, params: store, layer: 0 };
      const problem = spec.validate?.(args, spec.defaults) ?? null;
      if (!problem) spec.create(args, spec.defaults);
      return {
        name,
        title: spec.title,
        paper: spec.paper,
        kind: spec.kind,
        block: spec.block ?? 'pre-ln',
        defaults: { ...spec.defaults } as Record<string, unknown>,
        params: problem ? null : store.count(),
        problem,
        implementations: implementationsOf(spec),
      };
    } finally {
      store.dispose();
    }
  });
}
