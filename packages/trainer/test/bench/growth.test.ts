import { describe, expect, it } from 'vitest';
import { checkNLogN, fitPowerLaw, nLogNExponent, predictCost } from '../../src/bench/growth.js';

const curve = (f: (n: number) => number, lengths = [1024, 2048, 4096, 8192, 16384]) => lengths.map((length) => ({ length, value: f(length) }));

describe('fitPowerLaw', () => {
  it('recovers the exponent and coefficient of an exact power law', () => {
    const fit = fitPowerLaw(curve((n) => 3e-4 * n ** 1.7));
    expect(fit.exponent).toBeCloseTo(1.7, 12);
    expect(fit.coefficient).toBeCloseTo(3e-4, 12);
  });

  it('is the least-squares slope in log-log, not the end-to-end slope', () => {
    // Three points: log values 0, 1, 0 at log lengths 0, 1, 2 -> slope 0 by least squares.
    const e = Math.E;
    const fit = fitPowerLaw([{ length: 1.0001, value: 1 }, { length: 1.0001 * e, value: e }, { length: 1.0001 * e * e, value: 1 }]);
    expect(fit.exponent).toBeCloseTo(0, 10);
  });

  it('needs two distinct lengths with positive costs', () => {
    expect(() => fitPowerLaw([{ length: 1024, value: 5 }])).toThrow(/two or more distinct lengths/);
    expect(() => fitPowerLaw([{ length: 1024, value: 5 }, { length: 1024, value: 6 }])).toThrow(/two or more distinct lengths/);
    expect(() => fitPowerLaw([{ length: 1024, value: 5 }, { length: 2048, value: Number.NaN }])).toThrow(/1 point/);
  });
});

describe('the N log N check', () => {
  it('nLogNExponent is log((b ln b)/(a ln a)) / log(b/a)', () => {
    expect(nLogNExponent(1024, 16384)).toBeCloseTo(1 + Math.log(14 / 10) / Math.log(16), 12);
    expect(nLogNExponent(1024, 2048)).toBeCloseTo(1 + Math.log(11 / 10) / Math.log(2), 12);
    expect(() => nLogNExponent(2048, 1024)).toThrow(/1 < min < max/);
  });

  it('passes an exact N log N cost and one that grows slower, fails a quadratic one', () => {
    const nlogn = checkNLogN(curve((n) => 1e-3 * n * Math.log(n)));
    expect(nlogn.exponent).toBeCloseTo(nlogn.nLogNExponent, 2);
    expect(nlogn.withinNLogN).toBe(true);
    expect(checkNLogN(curve((n) => 50 + 1e-3 * n)).withinNLogN).toBe(true);
    const quadratic = checkNLogN(curve((n) => 1e-6 * n * n));
    expect(quadratic.exponent).toBeCloseTo(2, 10);
    expect(quadratic.withinNLogN).toBe(false);
    expect(quadratic).toMatchObject({ minLength: 1024, maxLength: 16384, points: 5 });
  });

  it('allows the stated slack and no more', () => {
    const reference = nLogNExponent(1024, 16384);
    expect(checkNLogN(curve((n) => n ** (reference + 0.09))).withinNLogN).toBe(true);
    expect(checkNLogN(curve((n) => n ** (reference + 0.11))).withinNLogN).toBe(false);
  });
});

describe('predictCost', () => {
  it('is null without points and grows as N^1.5 from one', () => {
    expect(predictCost([], 2048)).toBeNull();
    expect(predictCost([{ length: 1024, value: 100 }], 4096)).toBeCloseTo(800, 9);
  });

  it('follows the power law through the two longest points', () => {
    // 1.5 between 2K and 4K (the 1K point, off the law, is ignored).
    const points = [{ length: 1024, value: 7 }, { length: 2048, value: 100 }, { length: 4096, value: 100 * 2 ** 1.5 }];
    expect(predictCost(points, 8192)).toBeCloseTo(100 * 4 ** 1.5, 9);
    // Order does not matter.
    expect(predictCost([...points].reverse(), 8192)).toBeCloseTo(100 * 4 ** 1.5, 9);
  });

  it('clamps the exponent to [1, 2]', () => {
    expect(predictCost([{ length: 1024, value: 100 }, { length: 2048, value: 110 }], 4096)).toBeCloseTo(220, 9);
    expect(predictCost([{ length: 1024, value: 100 }, { length: 2048, value: 1000 }], 4096)).toBeCloseTo(4000, 9);
  });
});
