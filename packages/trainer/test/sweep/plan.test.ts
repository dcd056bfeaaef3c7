import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expandSweep } from '../../src/sweep/expand.js';
import { SweepError, actionFor, planRuns, resolveRuns } from '../../src/sweep/plan.js';
import { resolveConfig } from '../../src/config/resolve.js';
import { spec, tempDir, writeFinishedRun, writeStartedRun } from './helpers.js';

describe('sweep planning', () => {
  it('resolves every run as lra train will, with the sweep seed, preset and folder', () => {
    const root = tempDir('plan');
    const runs = expandSweep(spec({ steps: 9 }), { root });
    const resolved = resolveRuns(runs);
    expect(resolved.map(({ config }) => [config.mixer, config.seed, config.preset, config.train.steps, config.out])).toEqual(
      runs.map((r) => [r.mixer, r.seed, 'tiny', 9, r.out]),
    );
  });

  it('fails before any work with every bad run named, a repeated problem once', () => {
    const runs = expandSweep(spec({ mixers: ['attention', 'transformerz'], overrides: [{ name: 'a' }, { name: 'b', set: ['model.heads=3'] }] }));
    let error: unknown;
    try {
      resolveRuns(runs);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(SweepError);
    const problems = (error as SweepError).problems;
    // heads 3 does not divide d_model 64 (attention, set b), and the unknown mixer (4 runs, one line).
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^run 2 \(listops\/attention\/b\/s1\): model.heads: must divide model.dModel/);
    expect(problems[1]).toMatch(/^run 4 \(listops\/transformerz\/a\/s1\): .*unknown mixer "transformerz"/);
  });

  it('starts a fresh run, skips a finished one and resumes one with a checkpoint but no report', () => {
    const root = tempDir('actions');
    const runs = expandSweep(spec(), { root });
    writeFinishedRun(runs[1]!);
    writeStartedRun(runs[2]!);
    expect(planRuns(runs).map((p) => p.action)).toEqual(['start', 'skip', 'resume', 'start']);
  });

  it('refuses a folder written with other settings instead of skipping or resuming it', () => {
    const root = tempDir('stale');
    const runs = expandSweep(spec(), { root });
    writeFinishedRun(runs[0]!);
    writeStartedRun(runs[1]!);
    const changed = expandSweep(spec({ steps: 5 }), { root });
    expect(() => planRuns(changed)).toThrow(/run 0 \(listops\/attention\/base\/s1\): .* holds a finished run with other settings \(train.steps\)/);
    expect(() => planRuns(changed)).toThrow(/run 1 \(listops\/attention\/base\/s2\): .* holds a started run with other settings \(train.steps\)/);
  });

  it('skips a finished run reached by another path, but resumes only under the path it was started with', () => {
    const root = tempDir('paths');
    const run = expandSweep(spec(), { root })[0]!;
    const config = resolveConfig(run.request).config;
    writeFinishedRun(run);
    const report = join(run.out, 'report.json');
    writeFileSync(report, JSON.stringify({ config: { ...config, out: 'elsewhere/s1' } }));
    expect(actionFor(run, config)).toBe('skip');

    const started = expandSweep(spec(), { root })[1]!;
    writeStartedRun(started);
    writeFileSync(join(started.out, 'config.json'), JSON.stringify({ ...config, seed: 2, out: 'elsewhere/s2' }));
    expect(() => actionFor(started, resolveConfig(started.request).config)).toThrow('holds a started run with other settings (out)');
  });

  it('names an unreadable report', () => {
    const run = expandSweep(spec(), { root: tempDir('corrupt') })[0]!;
    writeFinishedRun(run);
    writeFileSync(join(run.out, 'report.json'), '{"task": ');
    expect(() => actionFor(run, resolveConfig(run.request).config)).toThrow(/report.json is unreadable .*remove the folder to run it again/);
  });
});
