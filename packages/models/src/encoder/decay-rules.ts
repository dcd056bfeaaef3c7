// S4's optimiser groups (state-spaces/s4 train.py, add_optimizer_hooks with bias_weight_decay and
// normalization_weight_decay false): no weight decay on any bias, on normalisation layers or on
// embeddings. The SSM backbone creates its parameters through these views so that the
// project's per-parameter `decay` says the same; a mixer's own choices (decay off, its own lr)
// are kept.
import type { ParamOptions, ParamScope } from '../nn/params.js';

function lastPart(name: string): string {
  const parts = name.split('/');
  return parts[parts.length - 1]!;
}

/** A view of `scope` whose parameters, in every sub-scope, take no weight decay. */
export function withoutDecay(scope: ParamScope): ParamScope {
  return ruled(scope, () => false);
}

/** A view of `scope` in which every parameter named "bias" (in any sub-scope) takes no weight decay. */
export function biasesWithoutDecay(scope: ParamScope): ParamScope {
  return ruled(scope, (name) => lastPart(name) !== 'bias');
}

function ruled(scope: ParamScope, decays: (name: string) => boolean): ParamScope {
  const view: ParamScope = {
    prefix: scope.prefix,
    add(name, shape, init, options: ParamOptions = {}) {
      const decay = (options.decay ?? true) && decays(name);
      return scope.add(name, shape, init, { ...options, decay });
    },
    scope: (name) => ruled(scope.scope(name), decays),
  };
  return scope.addState ? { ...view, addState: scope.addState.bind(scope) } : view;
}
