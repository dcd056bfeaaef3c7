import * as tf from '@tensorflow/tfjs';
import { it } from 'vitest';
import { useBackend } from './on-backends.js';
import { makeBatch, makeVariables, tinyTransformerLoss } from './tiny-transformer.js';
it('profile', async () => {
  await useBackend('wasm');
  const BLOCK = { batch: 8, length: 1024, dModel: 64, heads: 4, mlp: 128, vocab: 256, classes: 10 };
  const params = makeVariables(BLOCK); const batch = makeBatch(BLOCK); const opt = tf.train.adam(1e-3);
  let seed = 1;
  const step = () => { const c = opt.minimize(() => tinyTransformerLoss(params, batch, BLOCK, seed++), true); c?.dataSync(); c?.dispose(); };
  step();
  for (let r = 0; r < 2; r++) { const t = performance.now(); step(); console.log('step', performance.now() - t); }
  const info = await tf.profile(() => { step(); });
  const agg = new Map<string, [number, number]>();
  for (const k of info.kernels) { const v = agg.get(k.name) ?? [0, 0]; v[0] += k.kernelTimeMs as number; v[1]++; agg.set(k.name, v); }
  console.log(info.kernels.filter(k => (k.kernelTimeMs as number) > 8).map(k => `${k.name} ${(k.kernelTimeMs as number).toFixed(1)} in ${k.inputShapes.map(s => '[' + s + ']').join(' ')} out ${k.outputShapes.map(s => '[' + s + ']').join(' ')}`).join('\n'));
  console.log([...agg.entries()].sort((a, b) => b[1][0] - a[1][0]).slice(0, 25).map(([n, [t, c]]) => `${n} ${t.toFixed(1)}ms x${c}`).join('\n'));
}, 120000);
