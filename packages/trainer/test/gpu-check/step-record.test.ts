import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildStepRecord, MAX_LOG_LINES } from '../../src/gpu-check/step-record.js';
import { summarizeSteps } from '../../src/gpu-check/summary.js';

const base = { name: 'bench', command: 'lra bench', limitS: 140, wallS: 12.5 };

describe("a step's record", () => {
  let dir: string | undefined;
  afterEach(() => { if (dir !== undefined) rmSync(dir, { recursive: true, force: true }); });

  it('keeps the JSON result, the structured log lines and the tail of everything else', () => {
    const output = [
      '{"level":30,"msg":"backend webgpu (webgpu): requested explicitly","name":"webgpu"}',
      'Warning: Dawn says something',
      '{"level":30,"msg":"fnet @ 1024: step 3.1 ms","stepMs":3.1}',
      '{"not a log line": true}',
    ].join('\n');
    const record = buildStepRecord({ ...base, exitCode: 0, output, result: '{"backend":"webgpu","results":[]}\n' });
    expect(record).toMatchObject({ step: 'bench', ok: true, exitCode: 0, timedOut: false, limitS: 140, wallS: 12.5, result: { backend: 'webgpu', results: [] }, runs: [] });
    expect(record.log).toEqual([
      { level: 30, msg: 'backend webgpu (webgpu): requested explicitly', name: 'webgpu' },
      { level: 30, msg: 'fnet @ 1024: step 3.1 ms', stepMs: 3.1 },
    ]);
    expect(record.outputTail).toBe('Warning: Dawn says something\n{"not a log line": true}');
  });

  it('says a step ended by its time limit timed out and failed, and keeps a result that is not JSON as text', () => {
    for (const exitCode of [124, 137]) {
      const record = buildStepRecord({ ...base, exitCode, output: '', result: 'partial {"backend"' });
      expect(record).toMatchObject({ ok: false, timedOut: true, result: 'partial {"backend"' });
    }
    expect(buildStepRecord({ ...base, exitCode: 1, output: '' })).toMatchObject({ ok: false, timedOut: false, result: null });
  });

  it('is not ok when skipped, and says why', () => {
    const record = buildStepRecord({ ...base, exitCode: 0, output: '', skipped: 'the 540 s budget was spent' });
    expect(record).toMatchObject({ ok: false, skipped: 'the 540 s budget was spent' });
  });

  it("reads a training run's metrics (a line cut short by a kill is left out) and its report", () => {
    dir = mkdtempSync(join(tmpdir(), 'step-record-'));
    const run = join(dir, 'run');
    mkdirSync(run);
    writeFileSync(join(run, 'metrics.jsonl'), '{"type":"train","step":25,"stepsPerSec":9.5}\n{"type":"train","step":50,"stepsPerSec":10}\n{"type":"tra');
    writeFileSync(join(run, 'report.json'), '{"metrics":{"test":{"accuracy":0.37}}}');
    const record = buildStepRecord({ ...base, exitCode: 0, output: '', runDirs: [run, join(dir, 'never-made')] });
    expect(record.runs).toEqual([{ dir: run, metrics: [{ type: 'train', step: 25, stepsPerSec: 9.5 }, { type: 'train', step: 50, stepsPerSec: 10 }], report: { metrics: { test: { accuracy: 0.37 } } } }]);
  });

  it('keeps the last log lines of a long step only', () => {
    const output = Array.from({ length: MAX_LOG_LINES + 5 }, (_, i) => JSON.stringify({ msg: 'row', i })).join('\n');
    const record = buildStepRecord({ ...base, exitCode: 0, output });
    expect(record.log).toHaveLength(MAX_LOG_LINES);
    expect(record.log[0]).toEqual({ msg: 'row', i: 5 });
  });
});

describe('the summary', () => {
  it('is ok only when every step is, and lists each with how it ended', () => {
    const ok = buildStepRecord({ ...base, exitCode: 0, output: '' });
    const late = buildStepRecord({ ...base, name: 'peer', exitCode: 124, output: '', wallS: 60 });
    expect(summarizeSteps([ok], { gpu: 'H100' })).toMatchObject({ gpu: 'H100', ok: true, stepsWallS: 12.5, steps: [{ step: 'bench', ok: true }] });
    const summary = summarizeSteps([ok, late]);
    expect(summary.ok).toBe(false);
    expect(summary.stepsWallS).toBe(72.5);
    expect(summary.steps[1]).toEqual({ step: 'peer', ok: false, exitCode: 124, timedOut: true, wallS: 60, limitS: 140 });
    expect(summarizeSteps([]).ok).toBe(false);
  });
});
