import { describe, expect, it } from 'vitest';
import { fastExp } from '../../src/backend/fused/fast-exp.js';

describe('fastExp', () => {
  it('matches Math.exp to 2e-8 relative wherever the result is a normal double', () => {
    let worst = 0;
    for (let x = -708; x <= 709; x += 0.0137) {
      const want = Math.exp(x);
      worst = Math.max(worst, Math.abs(fastExp(x) - want) / want);
    }
    expect(worst).toBeLessThan(2e-8);
    // Around 0 and at the half-integers of x log2 e, where the reduction switches k.
    for (const x of [0, 1e-12, -1e-12, Math.LN2 / 2, -Math.LN2 / 2, 1.5 * Math.LN2, -0.5, -3.75]) {
      expect(Math.abs(fastExp(x) - Math.exp(x)) / Math.exp(x)).toBeLessThan(2e-8);
    }
  });

  it('underflows, overflows and passes NaN as Math.exp does', () => {
    expect(fastExp(-746)).toBe(0);
    expect(fastExp(Number.NEGATIVE_INFINITY)).toBe(0);
    expect(fastExp(710)).toBe(Number.POSITIVE_INFINITY);
    expect(fastExp(Number.POSITIVE_INFINITY)).toBe(Number.POSITIVE_INFINITY);
    expect(fastExp(Number.NaN)).toBeNaN();
    expect(fastExp(0)).toBe(1);
  });
});
