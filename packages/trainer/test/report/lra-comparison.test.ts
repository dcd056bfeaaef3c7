// `lra report` beside LRA's Table 1: the best run per model and task at the lra preset, the last
// checkpoint's accuracy beside the best one's, and no difference to a published number for runs
// of other presets. Built from run folders on disk, as the command reads them.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadRuns } from '../../src/report/find-runs.js';
import { buildLeaderboard, type Leaderboard } from '../../src/report/leaderboard.js';
import { renderLeaderboardMarkdown } from '../../src/report/leaderboard-markdown.js';
import { config, report, writeRun } from './fixtures.js';

let lb: Leaderboard;
let md: string;

beforeAll(() => {
  const root = mkdtempSync(join(tmpdir(), 'lra-table1-'));
  const at = (name: string) => join(root, name);
  // ListOps x attention at lra: two seeds; seed 2 is the better one.
  writeRun(at('listops-attention-lra-s1'), report(config({ preset: 'lra', seed: 1 }), { testAccuracy: 0.3, testLast: 0.29 }));
  writeRun(at('listops-attention-lra-s2'), report(config({ preset: 'lra', seed: 2 }), { testAccuracy: 0.38, testLast: 0.17 }));
  // A better tiny run must not displace the lra one.
  writeRun(at('listops-attention-tiny-s1'), report(config({ preset: 'tiny', seed: 1 }), { testAccuracy: 0.5 }));
  // Text x performer only at small: shown, marked, not compared.
  writeRun(at('text-performer-small-s1'), report(config({ task: 'text', mixer: 'performer', preset: 'small' }), { testAccuracy: 0.6, testLast: 0.58 }));
  // A report from before testLast existed.
  writeRun(at('image-linear-lra-s1'), report(config({ task: 'image', mixer: 'linear', preset: 'lra' }), { testAccuracy: 0.4 }));
  // Not a Table 1 model: no row.
  writeRun(at('listops-fftnet-lra-s1'), report(config({ mixer: 'fftnet', preset: 'lra' }), { testAccuracy: 0.2 }));
  const roots = [root];
  lb = buildLeaderboard(loadRuns(roots), roots);
  md = renderLeaderboardMarkdown(lb);
});

const rowOf = (mixer: string) => lb.lraComparison.find((r) => r.mixer === mixer)!;

describe('the LRA Table 1 comparison', () => {
  it("has one row per Table 1 model, in the table's order, with its published scores", () => {
    expect(lb.lraComparison.map((r) => r.model)).toEqual([
      'Transformer', 'Local Attention', 'Sparse Trans.', 'Longformer', 'Linformer', 'Reformer',
      'Sinkhorn Trans.', 'Synthesizer', 'BigBird', 'Linear Trans.', 'Performer',
    ]);
    expect(rowOf('attention').published.listops).toBe(36.37);
    expect(rowOf('performer').published.text).toBe(65.4);
    expect(lb.lraComparison.some((r) => r.mixer === 'fftnet')).toBe(false);
  });

  it('shows the best lra run, its last checkpoint, and the difference to the published number', () => {
    const cell = rowOf('attention').ours.listops!;
    expect(cell).toMatchObject({ preset: 'lra', seed: 2, runs: 2 });
    expect(cell.run.endsWith('listops-attention-lra-s2')).toBe(true);
    expect(cell.testAccuracy).toBeCloseTo(38, 10);
    expect(cell.testAccuracyLast).toBeCloseTo(17, 10);
    expect(cell.diffToPublished).toBeCloseTo(38 - 36.37, 10);
    expect(md).toContain('| Transformer (attention) | ours | 38.00 / 17.00 (+1.63) | - | - | - | - | - |');
    expect(md).toContain('|  | published | 36.37 | 64.27 | 57.46 | 42.44 | 71.40 | FAIL |');
  });

  it('marks a run of another preset and computes no difference for it', () => {
    const cell = rowOf('performer').ours.text!;
    expect(cell.preset).toBe('small');
    expect(cell.diffToPublished).toBeNull();
    expect(md).toContain('| Performer (performer) | ours | - | 60.00 / 58.00 [preset small] | - | - | - | - |');
  });

  it("reads reports without the last checkpoint's accuracy", () => {
    const cell = rowOf('linear').ours.image!;
    expect(cell.testAccuracyLast).toBeNull();
    expect(cell.diffToPublished).toBeCloseTo(40 - 42.34, 10);
    expect(md).toContain('| Linear Trans. (linear) | ours | - | - | - | 40.00 / - (-2.34) | - | - |');
  });

  it('leaves the section out when no run is of a Table 1 model', () => {
    const only = buildLeaderboard({ finished: [], unfinished: [] }, []);
    expect(only.lraComparison).toHaveLength(11);
    expect(renderLeaderboardMarkdown(only)).not.toContain('## LRA Table 1');
    expect(md).toContain('## LRA Table 1');
  });

  it('gives the per-task tables the last checkpoint column and compares only lra runs', () => {
    const lra = lb.entries.find((e) => e.task === 'listops' && e.mixer === 'attention' && e.preset === 'lra')!;
    expect(lra.testAccuracyLast!.mean).toBeCloseTo(23, 10);
    expect(lra.diffToPublished).toBeCloseTo(34 - 36.37, 10);
    const tiny = lb.entries.find((e) => e.task === 'listops' && e.mixer === 'attention' && e.preset === 'tiny')!;
    expect(tiny.testAccuracyLast).toBeNull();
    expect(tiny.diffToPublished).toBeNull();
  });
});
