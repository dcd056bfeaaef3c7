import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { lastTrainStep, runUntilStep } from '../../src/gpu-check/stop-after-step.js';

describe('the last train step of a metrics file', () => {
  it('is the highest train record, ignoring validation records and a line cut short', () => {
    expect(lastTrainStep('{"type":"train","step":25}\n{"type":"val","step":500}\n{"type":"train","step":50}\n{"type":"train","st')).toBe(50);
    expect(lastTrainStep('')).toBe(0);
  });
});

describe('running a command until its run reaches a step', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  // A stand-in for `lra train`: appends one train record every 50 ms, for ever unless stopped.
  const writer = (runDir: string, until = Number.POSITIVE_INFINITY, exitCode = 0) => [
    process.execPath, '-e',
    `const fs = require('fs'); fs.mkdirSync(${JSON.stringify(runDir)}, { recursive: true }); let step = 0;
     const t = setInterval(() => { step += 5; fs.appendFileSync(${JSON.stringify(join(runDir, 'metrics.jsonl'))}, JSON.stringify({ type: 'train', step }) + '\\n');
       if (step >= ${Number.isFinite(until) ? until : 'Infinity'}) { clearInterval(t); process.exit(${exitCode}); } }, 50);`,
  ];

  it('stops the command once the step is logged and counts that as success', async () => {
    dir = mkdtempSync(join(tmpdir(), 'until-step-'));
    const result = await runUntilStep(writer(join(dir, 'run')), join(dir, 'run'), 20, 50);
    expect(result.exitCode).toBe(0);
    expect(result.stoppedAt).toBeGreaterThanOrEqual(20);
  }, 20_000);

  it("passes on the exit code of a command that ends before the step", async () => {
    dir = mkdtempSync(join(tmpdir(), 'until-step-'));
    const result = await runUntilStep(writer(join(dir, 'run'), 10, 3), join(dir, 'run'), 1000, 50);
    expect(result).toEqual({ stoppedAt: null, exitCode: 3 });
  }, 20_000);
});
