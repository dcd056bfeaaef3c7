import * as tf from '@tensorflow/tfjs';
import { it } from 'vitest';
import { selectBackend } from '../../src/backend/index.js';
import { buildMixer } from './attention-family.js';
import { performer } from '../../src/mixers/performer.js';
import { linear } from '../../src/mixers/linear.js';
import { trainingContext } from '../../src/nn/context.js';
it('prof', async () => {
  await selectBackend('wasm');
  const sizes = { batch: 16, length: 257, dModel: 32, heads: 2 };
  for (const [name, spec, opts] of [['linear', linear, {}], ['performer', performer, {}], ['performer64', performer, {features: 64}]] as const) {
    const b = buildMixer(spec as any, opts as any, sizes);
    const x = tf.randomNormal([16, 257, 32], 0, 1, 'float32', 3) as tf.Tensor3D;
    const mask = tf.ones([16, 257]) as tf.Tensor2D;
    const step = () => { const { value, grads } = tf.variableGrads(() => tf.sum(b.mixer.apply(x, mask, trainingContext(1, 1)))); value.dataSync(); value.dispose(); tf.dispose(grads); };
    step();
    let t = performance.now(); for (let i = 0; i < 5; i++) step(); 
    const fb = (performance.now() - t) / 5;
    t = performance.now(); for (let i = 0; i < 5; i++) tf.tidy(() => b.mixer.apply(x, mask, trainingContext(1, 1)).dataSync());
    console.log(name, 'fwd+bwd ms', fb.toFixed(1), 'fwd ms', ((performance.now() - t) / 5).toFixed(1));
    b.store.dispose();
  }
});
