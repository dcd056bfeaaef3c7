// The decoders of state-spaces/s4's LRA runs (src/tasks/decoders.py), with torch's nn.Linear
// initialisation (weights and biases U(+-1/sqrt(fan_in))):
// - one sequence: SequenceDecoder's output_transform, a single Linear(d_model -> classes) after
//   the pooling;
// - a pair (AAN): RetrievalHead with nli: [e1, e2, e1 - e2, e1 * e2] -> Linear(4 d, d) -> GELU ->
//   Linear(d, classes), d = d_model (the pipeline's decoder.d_model is null).
import * as tf from '@tensorflow/tfjs';
import { gelu } from '../nn/activations.js';
import { dense } from '../nn/dense.js';
import { uniform } from '../nn/initializers.js';
import type { ParamScope } from '../nn/params.js';
import type { Head, PairHead } from './head.js';

function torchLinear(params: ParamScope, name: string, inputDim: number, units: number) {
  const bound = 1 / Math.sqrt(inputDim);
  return dense(params, name, { inputDim, units, kernelInit: uniform(-bound, bound), biasInit: uniform(-bound, bound) });
}

/** pooled -> Linear(classes). */
export function s4Head(params: ParamScope, dModel: number, numClasses: number): Head {
  const logits = torchLinear(params, 'logits', dModel, numClasses);
  return { apply: (pooled) => logits.apply(pooled) };
}

/** S4's RetrievalHead with nli features and GELU. */
export function s4PairHead(params: ParamScope, dModel: number, numClasses: number): PairHead {
  const hidden = torchLinear(params, 'hidden', 4 * dModel, dModel);
  const logits = torchLinear(params, 'logits', dModel, numClasses);
  return {
    apply: (e1, e2) =>
      tf.tidy(() => {
        const features = tf.concat([e1, e2, tf.sub(e1, e2), tf.mul(e1, e2)], 1) as tf.Tensor2D;
        return logits.apply(gelu(hidden.apply(features)));
      }),
  };
}
