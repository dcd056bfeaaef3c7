import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/index.js';
import { createClassifier } from '../../src/encoder/classifier.js';
import { tinyConfig } from '../encoder/fixtures.js';

// S4D's state-space parameters and Hyena's implicit filter train without weight decay at their
// own peak learning rate (1e-3), as their papers' LRA configs do; everything else follows the run.
describe('per-parameter optimisation groups', () => {
  beforeAll(async () => {
    await selectBackend('cpu');
  });

  for (const mixer of ['s4d', 'hyena'] as const) {
    it(`${mixer}: some parameters opt out of decay with lr 1e-3, the rest follow the run`, () => {
      const model = createClassifier(tinyConfig({ mixer, pool: 'mean', positions: 'none' }), 1);
      try {
        const own = model.params.variables().filter((p) => p.lr !== undefined);
        expect(own.length).toBeGreaterThan(0);
        for (const p of own) {
          expect(p.lr, p.name).toBe(1e-3);
          expect(p.decay, p.name).toBe(false);
          expect(p.name, p.name).toMatch(/mixer/);
        }
        expect(model.params.variables().filter((p) => p.name.startsWith('embed')).every((p) => p.lr === undefined && p.decay)).toBe(true);
      } finally {
        model.dispose();
      }
    });
  }
});
