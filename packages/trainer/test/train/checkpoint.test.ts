import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCheckpoint, writeCheckpoint } from '../../src/train/checkpoint.js';

describe('checkpoint files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lra-ckpt-'));
  const entries = [
    { key: 'param/a', shape: [2, 3], values: Float32Array.from([1, 2, 3, 4, 5, 6.5]) },
    { key: 'adam.m/a', shape: [1], values: Float32Array.from([-0.25]) },
    { key: 'empty', shape: [0], values: new Float32Array(0) },
  ];

  it('round-trips values, shapes and metadata exactly, leaving no temporary file', async () => {
    const path = join(dir, 'x.ckpt');
    await writeCheckpoint(path, { step: 42, note: 'ünïcode' }, entries);
    const back = await readCheckpoint<{ step: number; note: string }>(path);
    expect(back.meta).toEqual({ step: 42, note: 'ünïcode' });
    for (const e of entries) {
      expect(back.entries.get(e.key)!.shape).toEqual(e.shape);
      expect(Array.from(back.entries.get(e.key)!.values)).toEqual(Array.from(e.values));
    }
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('refuses a truncated file and a foreign one with the path and the reason', async () => {
    const path = join(dir, 'y.ckpt');
    await writeCheckpoint(path, { step: 1 }, entries);
    const full = readFileSync(path);
    writeFileSync(path, full.subarray(0, full.length - 3));
    await expect(readCheckpoint(path)).rejects.toThrow(`${path}: truncated checkpoint`);
    writeFileSync(path, 'hello world, not a checkpoint');
    await expect(readCheckpoint(path)).rejects.toThrow(`${path}: not a checkpoint of this project`);
  });
});
