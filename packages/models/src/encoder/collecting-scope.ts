import type * as tf from '@tensorflow/tfjs';
import type { ParamScope } from '../nn/params.js';

/** A view of `scope` that also collects every parameter created through it. */
export function collectingScope(scope: ParamScope, into: tf.Variable[]): ParamScope {
  return {
    prefix: scope.prefix,
    add(name, shape, init, options) {
      const variable = scope.add(name, shape, init, options);
      into.push(variable);
      return variable;
    },
    scope: (name) => collectingScope(scope.scope(name), into),
    // State is not differentiated: it is not collected.
    ...(scope.addState ? { addState: scope.addState.bind(scope) } : {}),
  };
}
