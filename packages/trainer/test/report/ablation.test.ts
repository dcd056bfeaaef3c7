import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import yargs from 'yargs';
import { reportCommand } from '../../src/cli/commands/report.js';
import { loadAblation } from '../../src/report/ablation.js';
import { ablationChartSpec } from '../../src/report/ablation-files.js';
import { renderAblationMarkdown } from '../../src/report/ablation-markdown.js';
import { renderBarChart } from '../../src/report/bar-chart.js';
import { expandSweep } from '../../src/sweep/expand.js';
import { buildManifest, writeManifest } from '../../src/sweep/manifest.js';
import { parseSweepSpec } from '../../src/sweep/spec.js';
import { config, report, writeRun, writeUnfinishedRun } from './fixtures.js';
import { allElements, parseXml } from './xml.js';

const mo = (options: Record<string, unknown>) => ({ model: { mixerOptions: options } });
const sweepBody = {
  description: 'a 2 x 2 grid and FNet',
  tasks: ['listops'],
  seeds: [1, 2, 3],
  preset: 'tiny',
  anchors: ['fnet'],
  grid: {
    mixer: 'fftnet',
    axes: {
      filter: { none: mo({ filter: 'none' }), adaptive: mo({ filter: 'adaptive' }) },
      mask: { full: mo({ frequencyMask: 'full' }), lowpass25: mo({ frequencyMask: 'low-pass', maskFraction: 0.25 }) },
    },
  },
  root: 'unused',
};

/** Test accuracies per variant and seed; a missing seed has no report. */
const accuracies: Record<string, Record<number, number>> = {
  'fnet/base': { 1: 0.25, 2: 0.27, 3: 0.29 },
  'fftnet/none-full': { 1: 0.3, 2: 0.34, 3: 0.35 },
  'fftnet/none-lowpass25': { 1: 0.4 },
  'fftnet/adaptive-full': { 1: 0.2, 2: 0.22, 3: 0.24 },
};
const stepsPerSec: Record<number, number> = { 1: 4, 2: 5, 3: 9 };

/** A finished sweep's results folder as `lra sweep` leaves it, with synthetic reports. */
async function ablationFolder(): Promise<string> {
  const root = mkdtempSync(join(tmpdir(), 'lra-ablation-'));
  const spec = parseSweepSpec(sweepBody, 'ablations/g.json');
  const runs = expandSweep(spec, { root });
  await writeManifest(root, buildManifest({ path: 'ablations/g.json', text: JSON.stringify(sweepBody), spec }, runs, root));
  for (const run of runs) {
    const variant = `${run.mixer}/${run.override}`;
    const acc = accuracies[variant]?.[run.seed];
    const c = config({ mixer: run.mixer, seed: run.seed, out: run.out });
    c.model.mixerOptions = run.axes ? { filter: run.axes.filter, frequencyMask: run.axes.mask === 'full' ? 'full' : 'low-pass' } : {};
    if (acc !== undefined) writeRun(run.out, report(c, { testAccuracy: acc, stepsPerSec: stepsPerSec[run.seed]!, params: run.mixer === 'fnet' ? 9000 : 11088 }));
    else if (variant === 'fftnet/none-lowpass25' && run.seed === 2) writeUnfinishedRun(run.out, c, 50);
  }
  // A run from an older sweep file: under the root, but not in its manifest.
  writeRun(join(root, 'listops', 'attention', 'base', 's1'), report(config({ seed: 1 }), { testAccuracy: 0.9 }));
  return root;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('the ablation table', () => {
  it('gives each variant mean ± sample sd over seeds, mean best val., mean steps/s and median ms/step, ranked', async () => {
    const root = await ablationFolder();
    const a = loadAblation(root);
    expect(a.fromManifest).toBe(true);
    expect(a.tables).toHaveLength(1);
    const t = a.tables[0]!;
    expect(t.axes).toEqual(['filter', 'mask']);
    expect(t.rows.map((r) => r.id)).toEqual(['fftnet/none-lowpass25', 'fftnet/none-full', 'fnet/base', 'fftnet/adaptive-full', 'fftnet/adaptive-lowpass25']);
    const byId = new Map(t.rows.map((r) => [r.id, r]));
    // 30, 34, 35: mean 33, deviations -3, 1, 2, sample variance 14 / 2 = 7.
    const noneFull = byId.get('fftnet/none-full')!;
    expect(noneFull.testAccuracy.mean).toBeCloseTo(33, 10);
    expect(noneFull.testAccuracy.std).toBeCloseTo(Math.sqrt(7), 10);
    expect(noneFull.bestValAccuracy.mean).toBeCloseTo(34, 10);
    expect(noneFull.stepsPerSec).toBeCloseTo(6, 10);
    // Step times 250, 200 and 111.1 ms: the median is 200.
    expect(noneFull.msPerStep).toBeCloseTo(200, 10);
    expect(noneFull.seeds).toEqual([1, 2, 3]);
    expect(noneFull.axes).toEqual({ filter: 'none', mask: 'full' });
    expect(byId.get('fnet/base')!.testAccuracy.std).toBeCloseTo(2, 10);
    expect(byId.get('fnet/base')).toMatchObject({ anchor: true, axes: null, params: [9000], expectedRuns: 3 });
    expect(byId.get('fftnet/none-lowpass25')!.testAccuracy).toMatchObject({ n: 1, std: null });
    expect(byId.get('fftnet/adaptive-lowpass25')!.testAccuracy.n).toBe(0);
    expect(t.majorityRate).toBeCloseTo(15, 10);
    expect(a.unfinished.map((u) => u.dir)).toEqual([join(root, 'listops/fftnet/none-lowpass25/s2')]);
    expect(a.unlisted).toEqual([join(root, 'listops/attention/base/s1')]);
  });

  it('prints one markdown table: variant, axes, params, accuracy, best val., speed', async () => {
    const md = renderAblationMarkdown(loadAblation(await ablationFolder()));
    expect(md).toContain('| rank | variant | filter | mask | params | test acc. % (mean ± sd) | best val. % (mean) | steps/s (mean) | ms/step (median) |');
    expect(md).toContain('| 1 | fftnet/none-lowpass25 | none | lowpass25 | 11,088 | 40.00 (n=1 of 3) | 41.00 | 4.00 | 250.0 |');
    expect(md).toContain('| 2 | fftnet/none-full | none | full | 11,088 | 33.00 ± 2.65 (n=3) | 34.00 | 6.00 | 200.0 |');
    expect(md).toContain('| 3 | fnet/base (anchor) | - | - | 9,000 | 27.00 ± 2.00 (n=3) | 28.00 | 6.00 | 200.0 |');
    expect(md).toContain('| - | fftnet/adaptive-lowpass25 | adaptive | lowpass25 | - | no finished runs (0 of 3) | - | - | - |');
    expect(md).toContain('10 of 15 runs finished in 5 variants, backend wasm; majority class 15.00% of the test split');
    expect(md).toContain('## ListOps (preset tiny): fftnet grid over filter x mask, with anchors');
    expect(md).toMatch(/## Unfinished runs[\s\S]*none-lowpass25\/s2: no report.json \(step 50 of 100\)/);
    expect(md).toMatch(/## Runs the sweep does not list[\s\S]*attention\/base\/s1/);
  });

  it('names variants by their folders when the sweep left no manifest', async () => {
    const root = await ablationFolder();
    rmSync(join(root, 'sweep.json'));
    const a = loadAblation(root);
    const t = a.tables[0]!;
    expect(a.fromManifest).toBe(false);
    expect(t.axes).toEqual([]);
    expect(t.rows.map((r) => r.id)).toEqual(['attention/base', 'fftnet/none-lowpass25', 'fftnet/none-full', 'fnet/base', 'fftnet/adaptive-full']);
    expect(t.rows[2]!.testAccuracy.mean).toBeCloseTo(33, 10);
    expect(t.rows[2]!.expectedRuns).toBeNull();
  });

  it('draws a bar per variant in table order, bar length proportional to the mean, with ± sd whiskers', async () => {
    const t = loadAblation(await ablationFolder()).tables[0]!;
    const svg = parseXml(renderBarChart(ablationChartSpec(t)));
    const bars = allElements(svg).filter((e) => e.name === 'g' && e.attrs.class === 'bar');
    expect(bars.map((b) => b.attrs['data-label'])).toEqual(['fftnet/none-lowpass25', 'fftnet/none-full', 'fnet/base (anchor)', 'fftnet/adaptive-full', 'fftnet/adaptive-lowpass25']);
    const widths = bars.slice(0, 4).map((b) => Number(b.children.find((c) => c.name === 'rect')!.attrs.width));
    [40, 33, 27, 22].forEach((m, i) => expect(widths[i]! / widths[0]!).toBeCloseTo(m / 40, 2));
    expect(bars[0]!.children.some((c) => c.attrs.class === 'whisker')).toBe(false);
    expect(bars[1]!.children.filter((c) => c.attrs.class === 'whisker')).toHaveLength(1);
    expect(bars[1]!.children.filter((c) => c.attrs.class === 'seed')).toHaveLength(3);
    expect(bars[2]!.children.find((c) => c.name === 'rect')!.attrs.fill).toBe('#ff7f0e');
    expect(bars[4]!.children.some((c) => c.name === 'text' && c.text === 'no results')).toBe(true);
    expect(allElements(svg).some((e) => e.name === 'text' && e.text === 'majority class (15.00%)')).toBe(true);
  });
});

describe('lra report --ablation', () => {
  async function lraReport(args: string[]): Promise<{ stdout: string; stderr: string }> {
    let stdout = '';
    let stderr = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((stdout += String(chunk)), true));
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true));
    await reportCommand(yargs(['report', ...args]).strict().exitProcess(false).fail((msg, err) => {
      throw err ?? new Error(msg);
    })).parseAsync();
    return { stdout, stderr };
  }

  it('prints the table and writes it with the chart and a page of every variant\'s plots side by side', async () => {
    const root = await ablationFolder();
    // One analysed run (seed 2 of none-full): the page shows its plots and notes the others lack them.
    mkdirSync(join(root, 'listops/fftnet/none-full/s2/analysis'), { recursive: true });
    writeFileSync(join(root, 'listops/fftnet/none-full/s2/analysis/filter-response.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    writeFileSync(join(root, 'listops/fftnet/none-full/s2/analysis/index.html'), '<html></html>');
    const { stdout, stderr } = await lraReport([root, '--ablation']);
    expect(stdout).toContain('| 2 | fftnet/none-full | none | full |');
    expect(readFileSync(join(root, 'ablation.md'), 'utf8')).toBe(stdout);
    expect(JSON.parse(readFileSync(join(root, 'ablation.json'), 'utf8')).tables[0].rows).toHaveLength(5);
    expect(existsSync(join(root, 'ablation-accuracy-listops.svg'))).toBe(true);
    expect(existsSync(join(root, 'ablation-accuracy-listops.png'))).toBe(true);
    expect(stderr).toContain(join(root, 'ablation.html'));

    const html = readFileSync(join(root, 'ablation.html'), 'utf8');
    const ids = ['fnet/base', 'fftnet/none-full', 'fftnet/none-lowpass25', 'fftnet/adaptive-full', 'fftnet/adaptive-lowpass25'];
    for (const id of ids) {
      expect(html).toContain(`<td>${id}${id === 'fnet/base' ? ' (anchor)' : ''}</td>`);
      // One figure per plot section: the analysis plot and the two training curves.
      expect(html.split(`<figure data-variant="${id}">`).length - 1).toBe(3);
    }
    expect(html).toContain('<img src="listops/fftnet/none-full/s2/analysis/filter-response.svg"');
    expect(html).toContain('<a href="listops/fftnet/none-full/s2/analysis/index.html">analysis</a>');
    expect(html).toContain(`no analysis/filter-response.svg (run lra analyze --run ${join(root, 'listops/fnet/base/s1')})`);
    expect(html).toContain('Without analysis (marked * in the table): fftnet/none-lowpass25, fnet/base, fftnet/adaptive-full.');
    expect(html).toContain('<img src="ablation-accuracy-listops.svg"');
    expect(html.match(/<p class="absent">no finished run<\/p>/g)).toHaveLength(3);
  });

  it('says when no run has analysis plots yet', async () => {
    const root = await ablationFolder();
    await lraReport([root, '--ablation']);
    expect(readFileSync(join(root, 'ablation.html'), 'utf8')).toContain('No run has analysis plots yet');
  });

  it('takes exactly one folder and no --out', async () => {
    const root = await ablationFolder();
    await expect(lraReport([root, root, '--ablation'])).rejects.toThrow('--ablation reads one sweep results folder');
    await expect(lraReport([root, '--ablation', '--out', 'x.md'])).rejects.toThrow('--ablation writes its files into the results folder');
    await expect(lraReport([join(root, 'missing'), '--ablation'])).rejects.toThrow(/missing: no such file or folder/);
  });
});
