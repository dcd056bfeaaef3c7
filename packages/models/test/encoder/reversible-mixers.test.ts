// Every mixer that can be reversible: the recomputing backward pass gives the gradients plain
// autodiff gives, with dropout on. Mixers with per-step draws (performer, rfa, reformer's hashes)
// must see the same draws when recomputed, which the replayed seeds ensure.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createClassifier, type ClassifierBuildOptions } from '../../src/encoder/classifier.js';
import type { ClassifierConfig } from '../../src/encoder/config.js';
import { mixerNames, type MixerName } from '../../src/mixers/registry.js';
import { trainingContext } from '../../src/nn/context.js';
import { paddedTokens, tinyConfig } from './fixtures.js';

// Without a reversible form: post-LN (fnet), shortening (fourier-transformer), owns its residual
// (fftnet's default variant, mega); each has its own test in reversible-config.test.ts.
const REFUSED: ReadonlySet<MixerName> = new Set(['fnet', 'fourier-transformer', 'mega']);
const OPTIONS: Partial<Record<MixerName, Record<string, unknown>>> = {
  fftnet: { variant: 'gelu-dcb3104' },
  nystromformer: { landmarks: 4 },
};

function gradsByName(config: ClassifierConfig, build: ClassifierBuildOptions): Map<string, Float32Array> {
  const model = createClassifier(config, 5, build);
  const tokens = paddedTokens('reversible-mixers', [16, 9], 16);
  const labels = tf.oneHot(tf.tensor1d([0, 2], 'int32'), 3);
  const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(labels, model.logits({ tokens }, trainingContext(4, 7))));
  const out = new Map<string, Float32Array>();
  for (const { name, variable } of model.params.variables()) {
    const grad = grads[variable.name];
    if (grad) out.set(name, grad.dataSync() as Float32Array);
  }
  tf.dispose([value, grads, tokens, labels]);
  model.dispose();
  return out;
}

describe('reversible encoder over every mixer', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  for (const mixer of mixerNames.filter((name) => !REFUSED.has(name))) {
    it(`${mixer}: recomputed gradients equal autodiff's`, () => {
      const config = tinyConfig({
        reversible: true, layers: 2, mixer, seqLen: 16, dropout: 0.2, attentionDropout: 0.2, mixerOptions: OPTIONS[mixer] ?? {},
      });
      const recomputed = gradsByName(config, {});
      const reference = gradsByName(config, { reversibleBackward: 'autodiff' });
      expect([...recomputed.keys()]).toEqual([...reference.keys()]);
      for (const [name, expected] of reference) {
        const actual = recomputed.get(name)!;
        let scale = 1e-6;
        let worst = 0;
        expected.forEach((v, i) => {
          scale = Math.max(scale, Math.abs(v));
          worst = Math.max(worst, Math.abs(actual[i]! - v));
        });
        expect(worst / scale, name).toBeLessThan(2e-4);
      }
    });
  }
});
