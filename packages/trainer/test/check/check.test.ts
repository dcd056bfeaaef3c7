// lra check: cells in processes of their own, a row for every cell whatever happens to it.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type CheckCellRequest, emptyCell } from '../../src/check/check-cell.js';
import { runCellInChild } from '../../src/check/check-child.js';
import { runCheck } from '../../src/check/check-run.js';
import { syntheticBatch } from '../../src/check/synthetic-batch.js';

const request = (mixer: string, overrides: Partial<CheckCellRequest> = {}): CheckCellRequest => ({
  task: 'listops', mixer, preset: 'tiny', backend: 'wasm', steps: 2, budgetMs: 60_000, ...overrides,
});

describe('lra check', () => {
  it('runs a cell in its own process: planned, trained, prediction beside measurement', async () => {
    const row = await runCellInChild(request('fnet'), 120_000);
    expect(row.status, row.reason ?? '').toBe('ok');
    expect(row.backend).toBe('wasm');
    expect(row.params).toBe(44_426);
    expect(row.ratioToTransformer).toBeCloseTo(44_426 / 77_322, 6);
    expect(row.microBatch).toBe(32);
    expect(row.stepsRun).toBe(2);
    expect(row.msPerStepSource).toBe('measured');
    expect(row.measuredPeakBytes).toBeGreaterThan(0);
    expect(Math.abs(row.predictedPeakBytes! / row.measuredPeakBytes! - 1)).toBeLessThan(0.25);
    // 1,000 steps of about msPerStep each, plus evaluations.
    expect(row.etaSeconds!).toBeGreaterThan((1000 * row.msPerStep!) / 1000);
  });

  it('where whole steps would overrun the budget, times steps of two micro-batches and scales them', async () => {
    // A limit that leaves room for a few examples per pass: many passes per step of 32.
    const row = await runCellInChild(request('attention', { budgetMs: 1, limitBytes: 20 * 2 ** 20 }), 120_000);
    expect(row.status, row.reason ?? '').toBe('ok');
    expect(row.passes).toBeGreaterThan(2);
    expect(row.msPerStepSource).toBe('passes');
    expect(row.measuredPeakBytes).toBeLessThanOrEqual(20 * 2 ** 20);
    // Two micro-batches with the summed gradients alive hold what a whole step holds.
    expect(Math.abs(row.predictedPeakBytes! / row.measuredPeakBytes! - 1)).toBeLessThan(0.25);
  });

  it('stops a cell past its timeout with a row that says so', async () => {
    const row = await runCellInChild(request('attention'), 50);
    expect(row.status).toBe('skipped');
    expect(row.reason).toMatch(/did not finish within 0 s/);
  });

  it("a cell stopped during its steps keeps what its plan said: the probe's step time and ETA", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lra-check-bin-'));
    const bin = join(dir, 'slow-cell.mjs');
    const planned = { ...emptyCell(request('fnet'), 'skipped', 'planned; no step finished'), microBatch: 2, passes: 16, predictedPeakBytes: 3e9, msPerStep: 200_000, msPerStepSource: 'probe', etaSeconds: 1e6 };
    // A cell that plans, prints its row, then takes too long (and is killed mid-line).
    writeFileSync(bin, `process.stdout.write(${JSON.stringify(JSON.stringify(planned) + '\n')} + '{"task":"li');\nsetTimeout(() => {}, 60000);\n`);
    const row = await runCellInChild(request('fnet'), 1500, bin);
    expect(row).toMatchObject({ status: 'skipped', microBatch: 2, passes: 16, predictedPeakBytes: 3e9, msPerStepSource: 'probe', etaSeconds: 1e6 });
    expect(row.reason).toMatch(/2 steps did not finish within 2 s: ms\/step and ETA are the planner's probe/);
  });

  it('keeps every cell in task x mixer order, writes the table and the JSON', async () => {
    const out = mkdtempSync(join(tmpdir(), 'lra-check-'));
    const seen: string[] = [];
    const result = await runCheck(
      { tasks: ['listops', 'image'], mixers: ['attention', 'fnet'], preset: 'lra', backend: 'wasm', steps: 2, budgetMs: 1000, cellTimeoutMs: 1000, workers: 2, out },
      async (req) => {
        // Cells end out of order; the table keeps the grid's.
        await new Promise((r) => setTimeout(r, req.mixer === 'attention' ? 30 : 0));
        seen.push(`${req.task}/${req.mixer}`);
        return req.mixer === 'fnet'
          ? { ...emptyCell(req, 'ok', ''), reason: null, params: 10, microBatch: 4, passes: 8, predictedPeakBytes: 2 ** 30, measuredPeakBytes: 2 ** 30, msPerStep: 12_500, msPerStepSource: 'measured', etaSeconds: 90_000 }
          : emptyCell(req, 'does not fit', 'a training step does not fit | somehow');
      },
    );
    // The cells that did not fit were measured again with recompute, and still did not.
    expect(seen).toHaveLength(6);
    expect(result.rows.map((r) => `${r.task}/${r.mixer}`)).toEqual(['listops/attention', 'listops/fnet', 'image/attention', 'image/fnet']);
    const md = readFileSync(result.markdownPath, 'utf8');
    expect(md).toContain('| listops | fnet | 10 | - | 4 (x8) | 1.00 GiB | 1.00 GiB | 12.5 s | 1d 1h | ok |');
    expect(md).toContain('| image | attention | - | - | - | - | - | - | - | does not fit: a training step does not fit / somehow; with model.recompute=block: does not fit, a training step does not fit / somehow |');
    expect(JSON.parse(readFileSync(result.jsonPath, 'utf8')).rows).toHaveLength(4);
  });

  it('makes full-length synthetic batches with ids and labels in range, and pairs for retrieval', () => {
    const b = syntheticBatch({ size: 3, seqLen: 50, vocabSize: 17, numClasses: 10, pair: true, seed: 'x' });
    expect(b.tokens.length).toBe(150);
    expect(Math.min(...b.tokens)).toBeGreaterThanOrEqual(1);
    expect(Math.max(...b.tokens)).toBeLessThan(17);
    expect(Math.max(...b.labels)).toBeLessThan(10);
    expect(b.tokens2!.length).toBe(150);
    expect(Array.from(b.lengths!)).toEqual([50, 50, 50]);
  });
});

describe('lra check, retries and resumption', () => {
  it('measures a cell that does not fit again with model.recompute=block, and a second check keeps what the first measured', async () => {
    const out = mkdtempSync(join(tmpdir(), 'lra-check-'));
    const calls: string[] = [];
    const fake = async (req: CheckCellRequest) => {
      calls.push(`${req.mixer}${req.recompute ? '+recompute' : ''}`);
      if (req.mixer === 'attention' && !req.recompute) return emptyCell(req, 'does not fit', 'a training step does not fit');
      return { ...emptyCell(req, 'ok', ''), reason: null, microBatch: 2, passes: 16, msPerStep: 1000, msPerStepSource: 'passes' as const, etaSeconds: 10 };
    };
    const opts = { tasks: ['listops'], mixers: ['attention', 'fnet'], preset: 'lra', backend: 'wasm' as const, steps: 2, budgetMs: 1, cellTimeoutMs: 1, workers: 1, out };
    const first = await runCheck(opts, fake);
    expect(calls).toEqual(['attention', 'attention+recompute', 'fnet']);
    expect(first.rows[0]).toMatchObject({ mixer: 'attention', status: 'ok', recompute: 'block' });
    expect(readFileSync(first.markdownPath, 'utf8')).toContain('| listops | attention | - | - | 2 (x16), recompute | - | - | ≈1000 ms | 10s | ok |');
    calls.length = 0;
    const second = await runCheck({ ...opts, resume: true }, fake);
    expect(calls).toEqual([]);
    expect(second.rows).toEqual(first.rows);
    // A check of other cells into the same folder keeps these in its files.
    const third = await runCheck({ ...opts, mixers: ['gmlp'], resume: true }, fake);
    const saved = JSON.parse(readFileSync(third.jsonPath, 'utf8')).rows.map((r: { mixer: string }) => r.mixer);
    expect(saved).toEqual(['gmlp', 'attention', 'fnet']);
  });
});
