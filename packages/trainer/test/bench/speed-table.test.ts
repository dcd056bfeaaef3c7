import { describe, expect, it } from 'vitest';
import { unmeasuredRow } from '../../src/bench/model-bench.js';
import { buildSpeedTable, cellOf, speedGoals } from '../../src/bench/speed-table.js';
import { failedRow, row } from './fixtures.js';

const skipped = (mixer: string, length: number, why: string) => unmeasuredRow(mixer, length, { warmup: 1, repeats: 3 }, { skipped: why });

describe('the speed table', () => {
  const rows = [
    row('attention', 1024, 3000, 1600),
    row('attention', 2048, 12_000, 6400),
    skipped('attention', 4096, 'predicted peak 6.8 GiB > 4.0 GiB heap'),
    row('fnet', 1024, 400, 200),
    row('fnet', 2048, 800, 400),
    row('fnet', 4096, 1600, 800),
    row('local', 1024, 1500, 400),
    failedRow('local', 2048, 'memory access out of bounds'),
    skipped('local', 4096, 'failed at 2048'),
  ];
  const table = buildSpeedTable(rows, 'attention');

  it('divides the baseline step by each step (steps/s ratio) and each peak by the baseline peak', () => {
    expect(table.lengths).toEqual([1024, 2048, 4096]);
    expect(table.mixers).toEqual(['attention', 'fnet', 'local']);
    expect(cellOf(table, 'attention', 1024)).toMatchObject({ relativeSpeed: 1, relativeMemory: 1, baselineEstimated: false, status: 'measured' });
    const fnet = cellOf(table, 'fnet', 2048)!;
    expect(fnet.relativeSpeed).toBe(15);
    expect(fnet.relativeMemory).toBe(400 / 6400);
    expect(fnet.stepsPerSec).toBe(1000 / 800);
    expect(fnet.stepMs).toBe(800);
    expect(fnet.rssPeakBytes).toBe(4000);
    expect(cellOf(table, 'local', 1024)!.relativeSpeed).toBe(2);
  });

  it('estimates the baseline where it did not run, from its shorter lengths, and says so', () => {
    // attention quadratic through 1K and 2K: 48 s at 4K, peak 25600.
    const fnet = cellOf(table, 'fnet', 4096)!;
    expect(fnet.baselineEstimated).toBe(true);
    expect(fnet.relativeSpeed).toBeCloseTo(48_000 / 1600, 9);
    expect(fnet.relativeMemory).toBeCloseTo(800 / 25_600, 9);
    expect(cellOf(table, 'attention', 4096)).toMatchObject({ status: 'skipped', relativeSpeed: null, reason: 'predicted peak 6.8 GiB > 4.0 GiB heap' });
  });

  it('keeps failures and skips as cells with their reason and no numbers', () => {
    expect(cellOf(table, 'local', 2048)).toMatchObject({ status: 'failed', reason: 'memory access out of bounds', stepMs: null, relativeSpeed: null, peakBytes: null });
    expect(cellOf(table, 'local', 4096)).toMatchObject({ status: 'skipped', reason: 'failed at 2048' });
  });

  it("puts LRA's published ratios beside the mixers LRA measured", () => {
    expect(cellOf(table, 'local', 4096)!.published).toMatchObject({ model: 'Local Attention' });
    expect(cellOf(table, 'local', 4096)!.published!.speed).toBeCloseTo(7.4 / 1.4, 12);
    expect(cellOf(table, 'attention', 2048)!.published).toMatchObject({ speed: 1, memory: 1 });
    expect(cellOf(table, 'fnet', 1024)!.published).toBeNull();
  });

  it('fits each mixer\'s growth and applies the N log N verdict to the spectral kinds only', () => {
    const [attention, fnet, local] = table.growth;
    expect(attention).toMatchObject({ mixer: 'attention', kind: 'attention', nLogNExpected: false });
    expect(attention!.check!.exponent).toBeCloseTo(2, 12);
    expect(fnet).toMatchObject({ mixer: 'fnet', kind: 'spectral', nLogNExpected: true });
    expect(fnet!.check!.exponent).toBeCloseTo(1, 12);
    expect(fnet!.check!.withinNLogN).toBe(true);
    expect(local!.check).toBeNull();
  });

  it('states the 4K goal against attention, estimated here', () => {
    expect(speedGoals(table)).toEqual([
      { goal: 'fnet train step at 4096 at least 10x faster than attention', value: expect.closeTo(30, 9), estimated: true, met: true },
    ]);
  });
});
