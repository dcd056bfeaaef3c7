import { describe, expect, it } from 'vitest';
import { lastStep, parseMetrics } from '../../src/report/metrics-file.js';
import { METRICS_LINES } from './fixtures.js';

describe('parseMetrics', () => {
  it('sorts records by type and keeps the test record', () => {
    const m = parseMetrics(METRICS_LINES.map((l) => JSON.stringify(l)).join('\n'));
    expect(m.train.map((r) => r.step)).toEqual([25, 50, 75, 100]);
    expect(m.val.map((r) => r.accuracy)).toEqual([0.247, 0.321]);
    expect(m.test).toMatchObject({ step: 100, accuracy: 0.288 });
    expect(lastStep(m)).toBe(100);
  });

  it('skips a line cut short by a kill, blank lines and unknown record types', () => {
    const text = `${JSON.stringify(METRICS_LINES[0])}\n\n{"type":"future","step":30}\n{"type":"train","step":5`;
    const m = parseMetrics(text);
    expect(m.train.length).toBe(1);
    expect(m.val).toEqual([]);
    expect(m.test).toBeNull();
    expect(lastStep(parseMetrics(''))).toBeNull();
  });
});
