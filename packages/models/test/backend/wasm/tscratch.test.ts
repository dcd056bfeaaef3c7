import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { it } from 'vitest';
import { registerProjectKernels } from '../../../src/backend/kernels.js';
it('t', async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('wasm');
  const time = (name: string, f: () => tf.Tensor, reps = 5) => { f().dispose(); const t = performance.now(); for (let i = 0; i < reps; i++) f().dispose(); console.log(name, ((performance.now() - t) / reps).toFixed(1), 'ms'); };
  const q = tf.randomNormal([8, 1024, 3, 4, 16], 0, 1, 'float32', 1);
  const h = tf.randomNormal([8, 4, 1024, 16], 0, 1, 'float32', 1);
  const p = tf.randomNormal([32, 1024, 1024], 0, 1, 'float32', 1);
  const cases: Array<[string, () => tf.Tensor]> = [['5d split', () => tf.transpose(q, [2, 0, 3, 1, 4])], ['5d back', () => tf.transpose(tf.reshape(q, [3, 8, 4, 1024, 16]), [1, 3, 0, 2, 4])], ['4d merge', () => tf.transpose(h, [0, 2, 1, 3])], ['32 x 1024^2', () => tf.transpose(p, [0, 2, 1])]];
  const before = cases.map(([, f]) => f().dataSync());
  for (const [n, f] of cases) time('before ' + n, f, 2);
  registerProjectKernels('wasm');
  for (const [n, f] of cases) time('after ' + n, f);
  cases.forEach(([n, f], i) => { const r = f().dataSync(); let bad = 0; for (let j = 0; j < r.length; j++) if (r[j] !== before[i]![j]) bad++; console.log(n, 'mismatches', bad); });
}, 100000);
