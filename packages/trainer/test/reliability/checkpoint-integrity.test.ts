// Every checkpoint carries a checksum, verified on every read; both checkpoints are
// verified before a resume trains a step; every error names the file; leftovers of a killed
// write are removed.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '@lra/models';
import { CheckpointError, readCheckpoint, writeCheckpoint } from '../../src/train/checkpoint.js';
import { evaluateRun } from '../../src/train/eval-run.js';
import { train } from '../../src/train/run.js';
import { silentLogger } from '../../src/util/logger.js';
import { finishedRunCopy, snapshot, tempDir, tinyConfig } from './fixtures.js';

const DIGEST = 32;

/** Overwrites `count` floats at the end of the checkpoint's data (before its checksum). */
function overwriteFloats(path: string, count: number): void {
  const buf = readFileSync(path);
  const end = buf.length - DIGEST;
  for (let i = 0; i < count; i++) buf.writeFloatLE(0.5 + i, end - 4 * (i + 1));
  writeFileSync(path, buf);
}

describe('checkpoint checksums', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  it('a damaged header or data is an error naming the file, never a JSON parse error', async () => {
    const dir = tempDir('ckpt');
    const path = join(dir, 'x.ckpt');
    const entries = [{ key: 'param/w', shape: [600], values: Float32Array.from({ length: 600 }, (_, i) => i / 7) }];
    await writeCheckpoint(path, { step: 3 }, entries);
    const good = readFileSync(path);
    const header = Buffer.from(good);
    header[14] = '}'.charCodeAt(0); // inside the header JSON
    writeFileSync(path, header);
    await expect(readCheckpoint(path)).rejects.toThrow(new CheckpointError(path, 'checksum mismatch: the file is damaged (its SHA-256 is not the one written with it)'));
    writeFileSync(path, good);
    overwriteFloats(path, 500);
    await expect(readCheckpoint(path)).rejects.toThrow(`${path}: checksum mismatch`);
    // A file of the first format has no checksum; its broken header is still named.
    const v1 = Buffer.from(good.subarray(0, good.length - DIGEST));
    v1.write('LRACKPT1', 0, 'latin1');
    v1[12] = 'x'.charCodeAt(0); // the header's opening brace
    writeFileSync(path, v1);
    await expect(readCheckpoint(path)).rejects.toThrow(new RegExp(`^${path}: unreadable checkpoint header \\(`));
  });

  it('lra eval refuses a best.ckpt with 2,000 overwritten floats instead of reporting a wrong accuracy', async () => {
    const dir = await finishedRunCopy('eval');
    const honest = await evaluateRun({ run: dir, split: 'test', log: silentLogger() });
    expect(honest.count).toBeGreaterThan(0);
    overwriteFloats(join(dir, 'checkpoints', 'best.ckpt'), 2000);
    await expect(evaluateRun({ run: dir, split: 'test', log: silentLogger() })).rejects.toThrow(`${join(dir, 'checkpoints', 'best.ckpt')}: checksum mismatch`);
  });

  it('a resume verifies best.ckpt before training: a truncated one stops it at once, naming the file', async () => {
    const dir = tempDir('truncated');
    await train({ resolved: tinyConfig(dir), log: silentLogger(), progress: false, stopAfterStep: 4 });
    const best = join(dir, 'checkpoints', 'best.ckpt');
    const bytes = readFileSync(best);
    writeFileSync(best, bytes.subarray(0, bytes.length - 1000));
    const before = snapshot(dir);
    await expect(train({ resolved: tinyConfig(dir), log: silentLogger(), progress: false, resume: true })).rejects.toThrow(
      new RegExp(`cannot resume .*: ${best}: truncated checkpoint \\(expected ${bytes.length} bytes, found ${bytes.length - 1000}\\); start the run again with --overwrite`),
    );
    // Nothing was trained: metrics.jsonl and the checkpoints are as they were.
    expect(snapshot(dir)).toEqual(before);
  });

  it('a damaged last.ckpt stops a resume naming it', async () => {
    const dir = tempDir('last');
    await train({ resolved: tinyConfig(dir), log: silentLogger(), progress: false, stopAfterStep: 4 });
    overwriteFloats(join(dir, 'checkpoints', 'last.ckpt'), 10);
    await expect(train({ resolved: tinyConfig(dir), log: silentLogger(), progress: false, resume: true })).rejects.toThrow(`${join(dir, 'checkpoints', 'last.ckpt')}: checksum mismatch`);
  });

  it('temporary files of a write killed before its rename are removed when the run resumes', async () => {
    const dir = tempDir('leftover');
    await train({ resolved: tinyConfig(dir), log: silentLogger(), progress: false, stopAfterStep: 4 });
    const ckpts = join(dir, 'checkpoints');
    writeFileSync(join(ckpts, 'last.ckpt.tmp-4242-1733540000000'), 'half a checkpoint');
    writeFileSync(join(ckpts, 'best.ckpt.tmp-4242-1733540000001'), '');
    await train({ resolved: tinyConfig(dir), log: silentLogger(), progress: false, resume: true });
    expect(readdirSync(ckpts).sort()).toEqual(['best.ckpt', 'last.ckpt']);
    expect(existsSync(join(dir, 'report.json'))).toBe(true);
  });
});
