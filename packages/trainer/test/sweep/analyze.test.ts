import { mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type AnalyzeLauncher, analyzeRuns, helpListsCommand, needsAnalysis } from '../../src/sweep/analyze.js';
import { readManifest } from '../../src/sweep/manifest.js';
import { fakeLauncher, runSweepCommand, tempDir, writeSweepFile } from './helpers.js';

const mo = (options: Record<string, unknown>) => ({ model: { mixerOptions: options } });

function gridSweep(dir: string): string {
  return writeSweepFile(dir, {
    description: 'two filters x two masks, FNet beside them',
    tasks: ['listops'],
    seeds: [1, 2],
    preset: 'tiny',
    anchors: ['fnet'],
    grid: {
      mixer: 'fftnet',
      axes: {
        filter: { none: mo({ filter: 'none' }), adaptive: mo({ filter: 'adaptive' }) },
        mask: { full: mo({ frequencyMask: 'full' }), lowpass25: mo({ frequencyMask: 'low-pass', maskFraction: 0.25 }) },
      },
    },
    root: join(dir, 'results'),
  });
}

/** Writes what `lra analyze` leaves, or fails for the folders `fails` names. */
function fakeAnalyze(fails: (dir: string) => boolean = () => false): { launcher: AnalyzeLauncher; dirs: string[] } {
  const dirs: string[] = [];
  const launcher: AnalyzeLauncher = async (dir) => {
    dirs.push(dir);
    if (fails(dir)) return { dir, exitCode: 1, lastLine: 'lra: error: no checkpoint' };
    mkdirSync(join(dir, 'analysis'), { recursive: true });
    writeFileSync(join(dir, 'analysis', 'analysis.json'), '{}');
    return { dir, exitCode: 0, lastLine: null };
  };
  return { launcher, dirs };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('lra sweep on a grid, with --analyze', () => {
  it('writes the manifest naming every run folder, then analyses each finished run once', async () => {
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const dir = tempDir('grid');
    const path = gridSweep(dir);
    const train = fakeLauncher();
    const analyze = fakeAnalyze();
    await runSweepCommand(['sweep', path, '--workers', '2', '--analyze'], { launcher: train.launcher, analyzeLauncher: analyze.launcher });
    expect(train.calls).toHaveLength(10);

    const manifest = readManifest(join(dir, 'results'))!;
    expect(manifest.description).toBe('two filters x two masks, FNet beside them');
    expect(manifest.grid).toEqual({ mixer: 'fftnet', axes: [{ name: 'filter', values: ['none', 'adaptive'] }, { name: 'mask', values: ['full', 'lowpass25'] }] });
    expect(manifest.variants.map((v) => [v.id, v.anchor])).toEqual([
      ['fnet/base', true],
      ['fftnet/none-full', false],
      ['fftnet/none-lowpass25', false],
      ['fftnet/adaptive-full', false],
      ['fftnet/adaptive-lowpass25', false],
    ]);
    expect(manifest.variants[4]!.axes).toEqual({ filter: 'adaptive', mask: 'lowpass25' });
    expect(manifest.runs[5]).toEqual({ index: 5, id: 'listops/fftnet/none-lowpass25/s2', task: 'listops', variant: 'fftnet/none-lowpass25', seed: 2, dir: 'listops/fftnet/none-lowpass25/s2' });
    expect([...analyze.dirs].sort()).toEqual(train.calls.map((c) => c.run.out).sort());

    // Run again: nothing to train and nothing to analyse.
    const again = fakeAnalyze();
    await runSweepCommand(['sweep', path, '--analyze'], { launcher: fakeLauncher().launcher, analyzeLauncher: again.launcher });
    expect(again.dirs).toEqual([]);
  });

  it('reports a failed analysis without failing the sweep, and tries it again next time', async () => {
    let stderr = '';
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true));
    const dir = tempDir('grid-fail');
    const path = gridSweep(dir);
    const failing = (d: string) => d.endsWith(join('fnet', 'base', 's2'));
    await runSweepCommand(['sweep', path, '--analyze'], { launcher: fakeLauncher().launcher, analyzeLauncher: fakeAnalyze(failing).launcher });
    expect(stderr).toMatch(/analysis failed \(exit 1\): lra: error: no checkpoint .*fnet\/base\/s2/);
    expect(stderr).toContain('1 of 10 analyses failed');
    const retry = fakeAnalyze();
    await runSweepCommand(['sweep', path, '--analyze'], { launcher: fakeLauncher().launcher, analyzeLauncher: retry.launcher });
    expect(retry.dirs).toEqual([join(dir, 'results', 'listops', 'fnet', 'base', 's2')]);
  });

  it('writes the full manifest from a single --index run, as each cluster task does', async () => {
    const dir = tempDir('grid-index');
    const path = gridSweep(dir);
    await runSweepCommand(['sweep', path, '--index', '3'], { launcher: fakeLauncher().launcher });
    expect(readManifest(join(dir, 'results'))!.runs).toHaveLength(10);
    expect(JSON.parse(readFileSync(join(dir, 'results', 'sweep.json'), 'utf8')).file).toBe(path);
  });

  it('lists runs with their axes and anchors, and refuses --analyze with --list or --emit', async () => {
    const dir = tempDir('grid-list');
    const path = gridSweep(dir);
    const listed = JSON.parse(await runSweepCommand(['sweep', path, '--list', '--json']));
    expect(listed[0]).toMatchObject({ id: 'listops/fnet/base/s1', anchor: true });
    expect(listed[9]).toMatchObject({ id: 'listops/fftnet/adaptive-lowpass25/s2', axes: { filter: 'adaptive', mask: 'lowpass25' } });
    await expect(runSweepCommand(['sweep', path, '--list', '--analyze'])).rejects.toThrow('--analyze runs after local runs');
  });
});

describe('analysis helpers', () => {
  it('finds a command in the program help, not in prose or other commands', () => {
    const help = 'lra <command> [options]\n\nCommands:\n  lra train       train a mixer\n  lra analyze     analyse a run\n  lra report <runs..>  leaderboard\n';
    expect(helpListsCommand(help, 'analyze')).toBe(true);
    expect(helpListsCommand(help, 'report')).toBe(true);
    expect(helpListsCommand(help.replace('  lra analyze     analyse a run\n', ''), 'analyze')).toBe(false);
    expect(helpListsCommand('Commands:\n  lra analyzer  x\n  use lra analyze later\n', 'analyze')).toBe(false);
  });

  it('needs analysis for a finished run without one or with one older than its report', () => {
    const dir = tempDir('needs');
    expect(needsAnalysis(dir)).toBe(false);
    writeFileSync(join(dir, 'report.json'), '{}');
    expect(needsAnalysis(dir)).toBe(true);
    mkdirSync(join(dir, 'analysis'));
    writeFileSync(join(dir, 'analysis', 'analysis.json'), '{}');
    utimesSync(join(dir, 'report.json'), new Date(1_000_000), new Date(1_000_000));
    expect(needsAnalysis(dir)).toBe(false);
    utimesSync(join(dir, 'report.json'), new Date(), new Date(Date.now() + 60_000));
    expect(needsAnalysis(dir)).toBe(true);
  });

  it('runs at most `workers` analyses at a time and returns results in the given order', async () => {
    let inFlight = 0;
    let most = 0;
    const launcher: AnalyzeLauncher = async (dir) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((r) => setTimeout(r, dir === 'a' ? 20 : 2));
      inFlight -= 1;
      return { dir, exitCode: dir === 'c' ? 2 : 0, lastLine: null };
    };
    const results = await analyzeRuns(['a', 'b', 'c', 'd', 'e'], { workers: 2, launcher });
    expect(most).toBe(2);
    expect(results.map((r) => [r.dir, r.exitCode])).toEqual([['a', 0], ['b', 0], ['c', 2], ['d', 0], ['e', 0]]);
  });
});
