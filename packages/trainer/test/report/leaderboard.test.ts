import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadRuns } from '../../src/report/find-runs.js';
import { buildEntries, buildLeaderboard, type Leaderboard } from '../../src/report/leaderboard.js';
import { leaderboardJsonPath, writeLeaderboard } from '../../src/report/leaderboard-files.js';
import { renderLeaderboardMarkdown } from '../../src/report/leaderboard-markdown.js';
import { transformerParams } from '../../src/report/mixer-params.js';
import { selectBackend } from '@lra/models';
import { config, report, writeRun, writeUnfinishedRun } from './fixtures.js';

/** The reference: sample standard deviation written out from its definition. */
function referenceStd(xs: number[]): number {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) * (x - m), 0) / (xs.length - 1));
}

let root: string;
let lb: Leaderboard;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'lra-leaderboard-'));
  const sweep = join(root, 'results', 'sweep-1');
  // Three seeds of one experiment; the third ran elsewhere, on another backend.
  writeRun(join(sweep, 'listops-attention-s1'), report(config({ seed: 1 }), { testAccuracy: 0.3, stepsPerSec: 4 }));
  writeRun(join(sweep, 'listops-attention-s2'), report(config({ seed: 2 }), { testAccuracy: 0.34, stepsPerSec: 5 }));
  writeRun(join(root, 'elsewhere', 'deep', 'run-3'), report(config({ seed: 3, out: '/shared/x', backend: 'cpu', dataDir: '/data' }), { testAccuracy: 0.35, stepsPerSec: 7, backend: 'cpu' }));
  // Same task and mixer, another preset: never averaged with the tiny runs.
  writeRun(join(sweep, 'listops-attention-small-s1'), report(config({ preset: 'small' }), { testAccuracy: 0.4 }));
  // A sweep override: its own experiment, named by the setting that differs.
  writeRun(join(sweep, 'listops-attention-lr-s1'), report(config({ seed: 1, lr: 0.001 }), { testAccuracy: 0.2 }));
  writeRun(join(sweep, 'listops-attention-lr-s2'), report(config({ seed: 2, lr: 0.001 }), { testAccuracy: 0.22 }));
  writeRun(join(sweep, 'listops-fftnet-s1'), report(config({ mixer: 'fftnet', seed: 1 }), { testAccuracy: 0.25 }));
  writeRun(join(sweep, 'text-attention-s1'), report(config({ task: 'text', seed: 1 }), { testAccuracy: 0.61, majorityRate: 0.5 }));
  writeUnfinishedRun(join(sweep, 'listops-fftnet-s2'), config({ mixer: 'fftnet', seed: 2 }), 50);
  mkdirSync(join(sweep, 'broken'), { recursive: true });
  writeFileSync(join(sweep, 'broken', 'report.json'), '{"task": "listops", ');
  const roots = [join(root, 'results'), join(root, 'elsewhere')];
  lb = buildLeaderboard(loadRuns(roots), roots);
});

const entry = (task: string, mixer: string, preset: string, settingsMatch = '') =>
  lb.entries.filter((e) => e.task === task && e.mixer === mixer && e.preset === preset && e.settings.includes(settingsMatch));

describe('the leaderboard', () => {
  it('finds runs recursively and counts finished and unfinished ones', () => {
    expect(lb.runs).toEqual({ finished: 8, unfinished: 2 });
  });

  it('averages seeds of one experiment: exact mean, sample standard deviation, median speed', () => {
    const [e, ...rest] = entry('listops', 'attention', 'tiny', 'train.lr=0.05');
    expect(rest).toEqual([]);
    expect(e!.seeds).toEqual([1, 2, 3]);
    expect(e!.testAccuracy.n).toBe(3);
    expect(e!.testAccuracy.mean).toBeCloseTo(33, 10);
    expect(e!.testAccuracy.std).toBeCloseTo(Math.sqrt(7), 10); // deviations -3, 1, 2 -> 14 / (3 - 1)
    expect(e!.testAccuracy.std).toBeCloseTo(referenceStd([30, 34, 35]), 12);
    expect(e!.bestValAccuracy.mean).toBeCloseTo(34, 10);
    expect(e!.speed.stepsPerSec).toBe(5);
    expect(e!.speed.tokensPerSec).toBe(5 * 2048);
    expect(e!.backends).toEqual(['cpu', 'wasm']);
    expect(e!.published).toMatchObject({ model: 'Transformer', accuracy: 36.37 });
    // A tiny run is not LRA's model: no difference to the published number.
    expect(e!.diffToPublished).toBeNull();
  });

  it('keeps presets and differing settings apart, and names the setting that differs', () => {
    const small = entry('listops', 'attention', 'small');
    expect(small.length).toBe(1);
    expect(small[0]!.testAccuracy).toMatchObject({ n: 1, std: null });
    expect(small[0]!.testAccuracy.mean).toBeCloseTo(40, 10);
    const lowLr = entry('listops', 'attention', 'tiny', 'train.lr=0.001');
    expect(lowLr.length).toBe(1);
    expect(lowLr[0]!.settings).toBe('train.lr=0.001');
    expect(lowLr[0]!.testAccuracy.mean).toBeCloseTo(21, 10);
    expect(lowLr[0]!.testAccuracy.std).toBeCloseTo(Math.sqrt(2), 10);
    expect(new Set(lb.entries.map((e) => e.configHash)).size).toBe(lb.entries.length);
  });

  it('says "not published" where no number exists, and gives the published one where it does', () => {
    const fftnet = entry('listops', 'fftnet', 'tiny');
    expect(fftnet[0]!.published).toBeNull();
    expect(fftnet[0]!.diffToPublished).toBeNull();
    expect(entry('text', 'attention', 'tiny')[0]!.published).toMatchObject({ accuracy: 64.27, model: 'Transformer' });
    const md = renderLeaderboardMarkdown(lb);
    const fftnetRow = md.split('\n').find((l) => l.startsWith('| fftnet | tiny | 100 | 1 (1)'))!;
    expect(fftnetRow).toContain('not published');
    const attentionRow = md.split('\n').find((l) => l.startsWith('| attention (train.lr=0.05) | tiny | 100 | 3 (1, 2, 3)'))!;
    expect(attentionRow).toContain('33.00 ± 2.65 (n=3)');
    expect(attentionRow).toContain('36.37 (Transformer)');
    expect(attentionRow).toContain('none (preset tiny)');
    expect(attentionRow).not.toContain('-3.37');
    expect(md).toContain('| ↳ published: Transformer | LRA paper (Tay et al., ICLR 2021), Table 1 | 36.37 | 64.27 | 57.46 | 42.44 | 71.40 | FAIL | 54.39 |');
  });

  it("gives each experiment's size against the base Transformer at its task and preset, flagged over LRA's 1.1", async () => {
    await selectBackend('cpu'); // counting the Transformer's parameters builds it
    const base = transformerParams('listops', 'tiny')!;
    expect(base).toBeGreaterThan(1000);
    const small = buildEntries([{ dir: 'a', report: report(config({ mixer: 'fftnet' }), { testAccuracy: 0.2, params: Math.round(base * 1.05) }) }]);
    const big = buildEntries([{ dir: 'b', report: report(config({ mixer: 'fftnet' }), { testAccuracy: 0.2, params: Math.round(base * 2.5) }) }]);
    expect(small[0]!.paramsRatio).toBeCloseTo(1.05, 4);
    expect(big[0]!.paramsRatio).toBeCloseTo(2.5, 4);
    const md = (entries: typeof small) => renderLeaderboardMarkdown({ ...lb, entries });
    expect(md(small)).toMatch(/\| 1\.05 \| [0-9a-f]+ \|/);
    expect(md(big)).toMatch(/\| 2\.50 \(over 1\.1\) \| [0-9a-f]+ \|/);
  });

  it('states the averaging convention and the spread used', () => {
    const md = renderLeaderboardMarkdown(lb);
    expect(md).toContain('without Path-X');
    expect(md).toContain('sample standard deviation (denominator n - 1)');
    expect(lb.conventions.averageTasks).toEqual(['listops', 'text', 'retrieval', 'image', 'pathfinder']);
  });

  it('lists unfinished and unreadable runs instead of dropping them', () => {
    const byDir = Object.fromEntries(lb.unfinished.map((u) => [u.dir.split('/').pop(), u]));
    expect(byDir['listops-fftnet-s2']).toMatchObject({ task: 'listops', mixer: 'fftnet', preset: 'tiny', seed: 2, lastStep: 50, steps: 100, reason: 'no report.json' });
    expect(byDir.broken!.reason).toMatch(/^report.json unreadable: /);
    const md = renderLeaderboardMarkdown(lb);
    expect(md).toContain('## Unfinished runs');
    expect(md).toMatch(/listops-fftnet-s2 \| listops \| fftnet \| tiny \| 2 \| step 50 of 100 \| no report.json/);
  });

  it('averages the five LRA tasks only when all five are present', () => {
    const accuracies = { listops: 0.3, text: 0.6, retrieval: 0.55, image: 0.4, pathfinder: 0.7 };
    const runs = Object.entries(accuracies).map(([task, acc]) => ({ dir: task, report: report(config({ task, mixer: 'linear' }), { testAccuracy: acc }) }));
    const all = buildLeaderboard({ finished: runs, unfinished: [] }, ['x']).summary;
    expect(all.length).toBe(1);
    expect(all[0]!.average).toBeCloseTo((30 + 60 + 55 + 40 + 70) / 5, 10);
    expect(all[0]!.published).toMatchObject({ model: 'Linear Trans.', average: expect.closeTo(50.55, 2) });
    const four = buildLeaderboard({ finished: runs.slice(0, 4), unfinished: [] }, ['x']).summary;
    expect(four[0]!.average).toBeNull();
    // Path-X never enters the average.
    const withPathx = [...runs, { dir: 'px', report: report(config({ task: 'pathx', mixer: 'linear' }), { testAccuracy: 0.99 }) }];
    expect(buildLeaderboard({ finished: withPathx, unfinished: [] }, ['x']).summary[0]!.average).toBeCloseTo(51, 10);
  });

  it('writes the markdown and the same content as JSON', async () => {
    const out = join(root, 'leaderboard.md');
    const paths = await writeLeaderboard(out, lb);
    expect(paths.json).toBe(join(root, 'leaderboard.json'));
    expect(leaderboardJsonPath('board')).toBe('board.json');
    expect(readFileSync(out, 'utf8')).toBe(renderLeaderboardMarkdown(lb));
    const json = JSON.parse(readFileSync(paths.json, 'utf8')) as Leaderboard;
    expect(json.entries.length).toBe(lb.entries.length);
    expect(json.entries.map((e) => [e.task, e.mixer, e.preset, e.settings, e.testAccuracy.mean])).toEqual(
      lb.entries.map((e) => [e.task, e.mixer, e.preset, e.settings, e.testAccuracy.mean]),
    );
    expect(json.unfinished.length).toBe(2);
    expect(json.conventions.average).toContain('without Path-X');
  });

  it('rejects a RUNS path that does not exist', () => {
    expect(() => loadRuns([join(root, 'nope')])).toThrow(/nope: no such file or folder/);
  });

  it('groups regardless of run order', () => {
    const runs = [0.3, 0.34, 0.35].map((acc, i) => ({ dir: `r${i}`, report: report(config({ seed: i + 1 }), { testAccuracy: acc }) }));
    const a = buildEntries(runs);
    const b = buildEntries([...runs].reverse());
    expect(b).toEqual(a);
  });
});
