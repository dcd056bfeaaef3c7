import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderRunMarkdown } from '../../src/report/run-markdown.js';
import { parseMetrics } from '../../src/report/metrics-file.js';
import { writeRunSummary } from '../../src/report/run-summary.js';
import { config, METRICS_LINES, report, writeRun } from './fixtures.js';
import { allElements, parseXml } from './xml.js';

const metricsText = METRICS_LINES.map((l) => JSON.stringify(l)).join('\n');

describe('writeRunSummary', () => {
  it('writes report.md and three well-formed SVG plots, each with its PNG copy, into the run folder, nothing else', async () => {
    const dir = writeRun(join(mkdtempSync(join(tmpdir(), 'lra-summary-')), 'run'), report(config({ seed: 3 }), { testAccuracy: 0.288 }));
    const files = await writeRunSummary(dir);
    expect(files.markdown).toBe(join(dir, 'report.md'));
    expect(readdirSync(dir).sort()).toEqual(['config.json', 'metrics.jsonl', 'plots', 'report.json', 'report.md']);
    expect(readdirSync(join(dir, 'plots')).sort()).toEqual(['accuracy.png', 'accuracy.svg', 'loss.png', 'loss.svg', 'lr.png', 'lr.svg']);
    for (const name of ['loss', 'accuracy', 'lr'] as const) expect(parseXml(readFileSync(files.plots[name], 'utf8')).name).toBe('svg');
    const md = readFileSync(files.markdown, 'utf8');
    for (const name of ['loss', 'accuracy', 'lr']) expect(md).toContain(`](plots/${name}.svg)`);
  });

  it('plots validation and the test point where metrics.jsonl puts them, with the majority-class line', async () => {
    const dir = writeRun(join(mkdtempSync(join(tmpdir(), 'lra-summary-')), 'run'), report(config(), { testAccuracy: 0.288, majorityRate: 0.15 }));
    const files = await writeRunSummary(dir);
    const svg = parseXml(readFileSync(files.plots.accuracy, 'utf8'));
    const area = allElements(svg).find((e) => e.attrs.class === 'plot-area')!;
    const [left, top, width, height] = ['x', 'y', 'width', 'height'].map((k) => Number(area.attrs[k]));
    const toPixel = (step: number, acc: number) => [left! + (step / 100) * width!, top! + height! * (1 - acc)];
    const val = allElements(svg).find((e) => e.attrs['data-series'] === 'validation')!.children.find((c) => c.name === 'polyline')!;
    const pts = val.attrs.points!.split(' ').map((p) => p.split(',').map(Number));
    [[50, 0.247], [100, 0.321]].forEach(([s, a], i) => {
      const [x, y] = toPixel(s!, a!);
      expect(pts[i]![0]).toBeCloseTo(x!, 1);
      expect(pts[i]![1]).toBeCloseTo(y!, 1);
    });
    const test = allElements(svg).find((e) => e.attrs['data-series'] === 'test (best checkpoint)')!.children[0]!;
    const [tx, ty] = toPixel(100, 0.288);
    expect(Number(test.attrs.cx)).toBeCloseTo(tx!, 1);
    expect(Number(test.attrs.cy)).toBeCloseTo(ty!, 1);
    const refs = allElements(svg).filter((e) => e.attrs.class === 'reference').map((e) => [e.attrs['data-label'], Number(e.attrs.y1)]);
    expect(refs).toEqual([
      ['majority class', expect.closeTo(toPixel(0, 0.15)[1]!, 1)],
      ['published (Transformer)', expect.closeTo(toPixel(0, 0.3637)[1]!, 1)],
    ]);
  });

  it('refuses a run without report.json, naming the folder', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lra-summary-'));
    await expect(writeRunSummary(dir)).rejects.toThrow(`${dir}: no report.json (the run has not finished)`);
    expect(existsSync(join(dir, 'report.md'))).toBe(false);
  });
});

describe('report.md', () => {
  const r = report(config({ seed: 3 }), { testAccuracy: 0.288, valAccuracy: 0.321, majorityRate: 0.15 });
  const md = renderRunMarkdown(r, parseMetrics(metricsText));

  it('names the task, mixer, preset, seed, backend and why, parameters and data', () => {
    expect(md.split('\n')[0]).toBe('# ListOps / attention (tiny preset, seed 3)');
    expect(md).toContain('| backend | wasm (requested auto): first that loaded: tensorflow not installed |');
    // The reason names the build; the backend's name is not said twice ("tensorflow: tensorflow ...").
    expect(md).toContain('| backends not used | tensorflow not installed |');
    expect(md).toContain('| parameters | 77,322 |');
    expect(md).toContain('20,000 / 1,000 / 1,000 examples (train / val / test), 0 skipped');
  });

  it('gives best validation, test against the majority class and the published number', () => {
    expect(md).toContain('| best validation | 100 | 32.10% | 1.9000 |');
    expect(md).toContain('| test (best validation checkpoint) | 100 | 28.80% | 2.0000 |');
    expect(md).toContain('| majority class (test split) | | 15.00% | |');
    expect(md).toContain('| published: Transformer (LRA paper (Tay et al., ICLR 2021), Table 1) | | 36.37% | |');
    expect(md).toContain('+13.80 points from always guessing the majority class (15.00%)');
    // A tiny run is not compared with LRA's number.
    expect(md).toContain('the published 36.37% of Transformer (LRA paper (Tay et al., ICLR 2021), Table 1) is not compared');
    expect(md).not.toContain('-7.57');
    expect(md).toContain('uses the tiny preset');
  });

  it("compares an lra run with the published number and shows its last checkpoint's test", () => {
    const lra = renderRunMarkdown(report(config({ preset: 'lra' }), { testAccuracy: 0.288, testLast: 0.171 }), parseMetrics(metricsText));
    expect(lra).toContain('-7.57 points from the published 36.37% of Transformer');
    expect(lra).toContain("| test (last checkpoint, as LRA's code tests) | 100 | 17.10% | 2.1000 |");
    expect(lra).not.toContain('is not compared');
    expect(md).not.toContain('last checkpoint');
  });

  it('says "not published" for a mixer without an LRA number', () => {
    const fftnet = renderRunMarkdown(report(config({ mixer: 'fftnet' }), { testAccuracy: 0.25 }), parseMetrics(metricsText));
    expect(fftnet).toContain('| published | | not published | |');
    expect(fftnet).toContain('no LRA number is published for fftnet on ListOps');
  });

  it('reports speed, memory, wall time, versions, and the resolved config exactly', () => {
    expect(md).toContain('| steps/s | 4.00 (median step 250.0 ms, p90 300.0 ms; timed after warm-up) |');
    expect(md).toContain('| tokens/s | 8,192 |');
    expect(md).toContain("| peak memory | 216.0 MiB (exact: the wasm allocator's high-water mark) |");
    expect(md).toContain('| wall time | 44.1 s');
    expect(md).toContain('| lra-ts | 0.1.0 (commit abc123) |');
    expect(md).toContain('| tfjs | 4.22.0 |');
    expect(md).toContain('Resolved from: defaults <- preset tiny <- command line.');
    const json = /```json\n([\s\S]*?)\n```/.exec(md)![1]!;
    expect(JSON.parse(json)).toEqual(r.config);
  });
});
