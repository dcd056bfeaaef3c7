import { describe, expect, it } from 'vitest';
import { formatTicks, niceTicks, renderLineChart, type LineChartSpec } from '../../src/report/svg-chart.js';
import { allElements, parseXml, type XmlElement } from './xml.js';

function plotArea(svg: XmlElement) {
  const rect = allElements(svg).find((e) => e.name === 'rect' && e.attrs.class === 'plot-area')!;
  return { left: Number(rect.attrs.x), top: Number(rect.attrs.y), width: Number(rect.attrs.width), height: Number(rect.attrs.height) };
}

function seriesPoints(svg: XmlElement, name: string): Array<[number, number]> {
  const g = allElements(svg).find((e) => e.name === 'g' && e.attrs['data-series'] === name)!;
  const line = g.children.find((c) => c.name === 'polyline');
  if (line) return line.attrs.points!.split(' ').map((p) => p.split(',').map(Number) as [number, number]);
  return g.children.filter((c) => c.name === 'circle').map((c) => [Number(c.attrs.cx), Number(c.attrs.cy)]);
}

const spec: LineChartSpec = {
  title: 'loss <train> & "val"',
  xLabel: 'step',
  yLabel: 'loss',
  series: [
    { name: 'train', points: [[0, 0], [25, 0.5], [50, 0.25], [100, 1]] },
    { name: 'test', points: [[100, 0.75]], mode: 'markers' },
  ],
  references: [{ label: 'majority', y: 0.2 }],
  xDomain: [0, 100],
  yDomain: [0, 1],
};

describe('renderLineChart', () => {
  it('writes well-formed SVG with its title, labels and legend, escaping markup in text', () => {
    const svg = parseXml(renderLineChart(spec));
    expect(svg.name).toBe('svg');
    expect(svg.attrs.xmlns).toBe('http://www.w3.org/2000/svg');
    const texts = allElements(svg).filter((e) => e.name === 'text' || e.name === 'title').map((e) => e.text);
    expect(texts).toContain('loss <train> & "val"');
    expect(texts).toEqual(expect.arrayContaining(['step', 'loss', 'train', 'test', 'majority']));
  });

  it('maps data to pixels exactly: domain corners to plot-area corners, linear in between', () => {
    const svg = parseXml(renderLineChart(spec));
    const a = plotArea(svg);
    const pts = seriesPoints(svg, 'train');
    const expected = ([[0, 0], [25, 0.5], [50, 0.25], [100, 1]] as const).map(([x, y]) => [a.left + (x / 100) * a.width, a.top + a.height - y * a.height]);
    expect(pts.length).toBe(4);
    pts.forEach((p, i) => {
      expect(p[0]).toBeCloseTo(expected[i]![0]!, 1);
      expect(p[1]).toBeCloseTo(expected[i]![1]!, 1);
    });
    const [test] = seriesPoints(svg, 'test');
    expect(test![0]).toBeCloseTo(a.left + a.width, 1);
    expect(test![1]).toBeCloseTo(a.top + a.height * 0.25, 1);
    const ref = allElements(svg).find((e) => e.attrs.class === 'reference')!;
    expect(Number(ref.attrs.y1)).toBeCloseTo(a.top + a.height * 0.8, 1);
  });

  it('keeps every point of data-derived axes inside the plot area, with ticks covering the data', () => {
    const points: Array<[number, number]> = Array.from({ length: 200 }, (_, i) => [i * 37 + 5, 2.3 * Math.exp(-i / 50) + 0.01 * Math.sin(i)]);
    const svg = parseXml(renderLineChart({ title: 't', xLabel: 'step', yLabel: 'loss', series: [{ name: 'train', points }] }));
    const a = plotArea(svg);
    const pts = seriesPoints(svg, 'train');
    expect(pts.length).toBe(200);
    for (const [x, y] of pts) {
      expect(x).toBeGreaterThanOrEqual(a.left - 0.01);
      expect(x).toBeLessThanOrEqual(a.left + a.width + 0.01);
      expect(y).toBeGreaterThanOrEqual(a.top - 0.01);
      expect(y).toBeLessThanOrEqual(a.top + a.height + 0.01);
    }
    // Larger x to the right, larger y upwards.
    expect(pts[199]![0]).toBeGreaterThan(pts[0]![0]);
    expect(pts[199]![1]).toBeGreaterThan(pts[0]![1]);
  });

  it('breaks a line at non-finite values instead of drawing through them', () => {
    const svg = parseXml(
      renderLineChart({ title: 't', xLabel: 'x', yLabel: 'y', series: [{ name: 's', points: [[0, 1], [1, 2], [2, Number.NaN], [3, 2], [4, 1]] }] }),
    );
    const g = allElements(svg).find((e) => e.attrs['data-series'] === 's')!;
    const lines = g.children.filter((c) => c.name === 'polyline');
    expect(lines.map((l) => l.attrs.points!.split(' ').length)).toEqual([2, 2]);
  });

  it('says "no data" for empty series and still writes a valid chart', () => {
    const svg = parseXml(renderLineChart({ title: 't', xLabel: 'x', yLabel: 'y', series: [{ name: 's', points: [] }] }));
    expect(allElements(svg).some((e) => e.name === 'text' && e.text === 'no data')).toBe(true);
  });
});

describe('ticks', () => {
  it('are 1, 2 or 5 times a power of ten, and cover the range', () => {
    for (const [lo, hi] of [[0, 1], [0.013, 0.97], [25, 62400], [1.93, 2.41], [-3, 7], [0, 0.0016]] as const) {
      const { ticks, step } = niceTicks(lo, hi, 6);
      const mantissa = step / 10 ** Math.floor(Math.log10(step) + 1e-12);
      expect([1, 2, 5].some((m) => Math.abs(mantissa - m) < 1e-9)).toBe(true);
      expect(ticks[0]).toBeLessThanOrEqual(lo);
      expect(ticks[ticks.length - 1]).toBeGreaterThanOrEqual(hi);
      for (let i = 1; i < ticks.length; i++) expect(ticks[i]! - ticks[i - 1]!).toBeCloseTo(step, 12);
    }
    expect(niceTicks(0, 1, 5).ticks).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(() => niceTicks(1, 1)).toThrow(/max > min/);
  });

  it('are labelled in one style per axis', () => {
    expect(formatTicks([0, 0.2, 0.4], 0.2)).toEqual(['0.0', '0.2', '0.4']);
    expect(formatTicks([0, 20000, 40000, 60000], 20000)).toEqual(['0', '20k', '40k', '60k']);
    expect(formatTicks([0, 0.0005, 0.001, 0.0015], 0.0005)).toEqual(['0', '5.0e-4', '1.0e-3', '1.5e-3']);
    expect(formatTicks([1.9, 2, 2.1], 0.1)).toEqual(['1.9', '2.0', '2.1']);
  });
});
