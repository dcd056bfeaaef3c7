// A start that fails, or a start without --resume into a finished run, must leave the
// run that is there as it was; only --overwrite replaces it, and says so.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '@lra/models';
import { resolveConfig } from '../../src/config/resolve.js';
import { train } from '../../src/train/run.js';
import { RunExistsError } from '../../src/train/run-guard.js';
import { silentLogger } from '../../src/util/logger.js';
import { capturingLogger, finishedRunCopy, snapshot, tempDir, tinyConfig } from './fixtures.js';

/** `lra train --task text --mixer attention --preset tiny --out DIR` with no text data prepared. */
function textConfig(out: string, sets: string[] = []) {
  return resolveConfig({ task: 'text', mixer: 'attention', preset: 'tiny', dataDir: tempDir('no-text-data'), out, sets: ['backend=wasm', ...sets] });
}

describe('a failed start into a finished run', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  it('with no prepared data: fails naming it, and the finished run is untouched', async () => {
    const dir = await finishedRunCopy('no-data');
    const before = snapshot(dir);
    await expect(train({ resolved: textConfig(dir), log: silentLogger(), progress: false, overwrite: true })).rejects.toThrow(/no prepared data for task "text"/);
    expect(snapshot(dir)).toEqual(before);
  });

  it('with a data.source that does not exist: fails naming it, and the finished run is untouched', async () => {
    const dir = await finishedRunCopy('no-source');
    const before = snapshot(dir);
    const missing = join(tempDir('src'), 'not-there');
    await expect(train({ resolved: textConfig(dir, [`data.source="${missing}"`]), log: silentLogger(), progress: false, overwrite: true })).rejects.toThrow(missing);
    expect(snapshot(dir)).toEqual(before);
  });

  it('without --resume or --overwrite: refuses, names what is there and what to pass, deletes nothing', async () => {
    const dir = await finishedRunCopy('rerun');
    const before = snapshot(dir);
    const rerun = train({ resolved: tinyConfig(dir), log: silentLogger(), progress: false });
    await expect(rerun).rejects.toThrow(RunExistsError);
    await expect(rerun).rejects.toThrow(/holds a finished run \(report\.json, test accuracy [\d.]+%\).*--resume.*--overwrite/);
    expect(snapshot(dir)).toEqual(before);
  });

  it('an unfinished run (a checkpoint, no report) is not wiped by a start without --resume either', async () => {
    const dir = tempDir('unfinished');
    await train({ resolved: tinyConfig(dir), log: silentLogger(), progress: false, stopAfterStep: 4 });
    const before = snapshot(dir);
    await expect(train({ resolved: tinyConfig(dir), log: silentLogger(), progress: false })).rejects.toThrow(/holds an unfinished run \(checkpoints\/last\.ckpt\).*--resume to continue it/);
    expect(snapshot(dir)).toEqual(before);
  });

  it('--overwrite replaces the run, saying what it deletes, and leaves no stale report.md', async () => {
    const dir = await finishedRunCopy('overwrite');
    expect(existsSync(join(dir, 'report.md'))).toBe(true);
    const oldReport = readFileSync(join(dir, 'report.json'), 'utf8');
    const { log, messages } = capturingLogger();
    const report = await train({ resolved: tinyConfig(dir, ['seed=5']), log, progress: false, overwrite: true });
    expect(report!.seed).toBe(5);
    expect(readFileSync(join(dir, 'report.json'), 'utf8')).not.toBe(oldReport);
    expect(messages.join('\n')).toMatch(/--overwrite: deleting a finished run \(report\.json, test accuracy [\d.]+%\) in /);
    expect(readFileSync(join(dir, 'report.md'), 'utf8')).toContain('seed 5');
  });

  it('--resume and --overwrite together are refused before anything is read', async () => {
    const dir = await finishedRunCopy('both');
    await expect(train({ resolved: tinyConfig(dir), log: silentLogger(), progress: false, resume: true, overwrite: true })).rejects.toThrow(/--resume and --overwrite contradict/);
  });
});
