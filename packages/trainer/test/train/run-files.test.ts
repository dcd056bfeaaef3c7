import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunFiles } from '../../src/train/run-files.js';

describe('RunFiles.prepareFresh', () => {
  it("removes everything an earlier run wrote, its analysis included, and keeps the user's own files", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lra-fresh-'));
    for (const sub of ['plots', 'checkpoints', 'analysis']) mkdirSync(join(dir, sub));
    const earlier = ['report.json', 'report.md', 'metrics.jsonl', 'plots/loss.svg', 'checkpoints/last.ckpt', 'analysis/analysis.json'];
    for (const f of earlier) writeFileSync(join(dir, f), 'old');
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    await new RunFiles(dir).prepareFresh();
    for (const f of earlier) expect(existsSync(join(dir, f)), f).toBe(false);
    expect(existsSync(join(dir, 'analysis'))).toBe(false);
    expect(existsSync(join(dir, 'notes.txt'))).toBe(true);
  });
});

describe('RunFiles.appendMetric', () => {
  it('stamps every record with the UTC time it was written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lra-metric-'));
    const files = new RunFiles(dir);
    const before = Date.now();
    await files.appendMetric({ type: 'train', step: 1, loss: 2 });
    const record = JSON.parse(readFileSync(files.metrics, 'utf8').trim()) as { type: string; step: number; loss: number; time: string };
    expect(record).toMatchObject({ type: 'train', step: 1, loss: 2 });
    expect(record.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(Date.parse(record.time)).toBeGreaterThanOrEqual(before - 1);
    expect(Date.parse(record.time)).toBeLessThanOrEqual(Date.now());
  });
});
