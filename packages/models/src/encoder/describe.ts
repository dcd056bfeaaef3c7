import { createClassifier } from './classifier.js';
import { validateClassifierConfig, type ClassifierConfig } from './config.js';

export type ComponentKind = 'embedding' | 'mixer' | 'norm' | 'feedForward' | 'head';

export interface ClassifierDescription {
  total: number;
  /** Per component in creation order, e.g. "embed/tokens", "layer0/mixer", "head/hidden". */
  components: Array<{ name: string; kind: ComponentKind; params: number }>;
  /** Totals per kind of component, over all layers. */
  byKind: Record<ComponentKind, number>;
}

const LEAVES = new Set(['kernel', 'bias', 'scale']);

function componentOf(name: string): string {
  const parts = name.split('/');
  if (parts.length <= 2) return LEAVES.has(parts[parts.length - 1]!) ? parts[0]! : name;
  return parts.slice(0, 2).join('/');
}

function kindOf(component: string): ComponentKind {
  if (component.startsWith('embed/')) return 'embedding';
  if (component.startsWith('head/')) return 'head';
  // "layer0/mixerNorm", "encoderNorm"; the ssm backbone's "layer0/norm".
  if (component.endsWith('Norm') || component.endsWith('/norm')) return 'norm';
  if (component.endsWith('/feedForward')) return 'feedForward';
  return 'mixer';
}

/**
 * Parameter counts per component. It builds the model to count (parameters only, no
 * activations) and frees it before returning; an invalid config throws before anything is built.
 */
export function describeClassifier(config: ClassifierConfig): ClassifierDescription {
  validateClassifierConfig(config);
  const model = createClassifier(config, 1);
  try {
    const counts = new Map<string, number>();
    for (const { name, variable } of model.params.variables()) {
      const component = componentOf(name);
      counts.set(component, (counts.get(component) ?? 0) + variable.size);
    }
    const byKind: Record<ComponentKind, number> = { embedding: 0, mixer: 0, norm: 0, feedForward: 0, head: 0 };
    const components = [...counts].map(([name, params]) => {
      const kind = kindOf(name);
      byKind[kind] += params;
      return { name, kind, params };
    });
    return { total: model.paramCount(), components, byKind };
  } finally {
    model.dispose();
  }
}
