import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { createClassifier } from '@lra/models';
import { benchConfig, unmeasuredRow } from '../../src/bench/model-bench.js';
import { comparePeer, peerGoals, peerMarkdown } from '../../src/bench/peer-compare.js';
import { parsePeerOutput, PEER_PYTHON, PEER_SCRIPT, peerArguments, peerAvailability, runPeer } from '../../src/bench/peer.js';
import { row } from './fixtures.js';

const torch = peerAvailability();

const peerJson = (results: unknown[]) =>
  JSON.stringify({ framework: 'pytorch', backend: 'pytorch-cpu', torch: '1.13.0', threads: 2, machine: { cpu: 'x86_64', cores: 2 }, results });

describe("the peer's output", () => {
  it('parses timings, a null peakBytes, and rows that say why they have no timings', () => {
    const report = parsePeerOutput(
      peerJson([
        { mixer: 'fnet', length: 1024, params: 42954, forwardMs: 20, stepMs: 80, peakBytes: null, rssPeakBytes: 3e8, tokensPerSec: 102400 },
        { mixer: 'attention', length: 4096, error: 'killed by signal 9' },
        { mixer: 'attention', length: 8192, skipped: 'failed at 4096' },
      ]),
    );
    expect(report).toMatchObject({ torch: '1.13.0', threads: 2, framework: 'pytorch' });
    expect(report.results[0]).toEqual({ mixer: 'fnet', length: 1024, params: 42954, forwardMs: 20, stepMs: 80, peakBytes: null, rssPeakBytes: 3e8, tokensPerSec: 102400 });
    expect(report.results[1]).toMatchObject({ error: 'killed by signal 9', params: 0 });
    expect(Number.isNaN(report.results[1]!.stepMs)).toBe(true);
    expect(report.results[2]!.skipped).toBe('failed at 4096');
  });

  it('refuses output that is not the peer\'s', () => {
    expect(() => parsePeerOutput('Traceback (most recent call last):')).toThrow('the PyTorch peer printed no JSON: Traceback');
    expect(() => parsePeerOutput('{"results": []}')).toThrow('lacks torch, threads or results');
    expect(() => parsePeerOutput(peerJson([{ mixer: 'fnet' }]))).toThrow('peer result 0 lacks mixer or length');
    expect(() => parsePeerOutput(peerJson([{ mixer: 'fnet', length: 8, forwardMs: 1 }]))).toThrow('has neither timings nor a reason');
  });

  it('passes the shape and counts on the command line', () => {
    const args = peerArguments({ mixers: ['fnet', 'fftnet'], lengths: [64, 128], batch: 2, dModel: 16, heads: 4, layers: 3, mlpDim: 32, warmup: 0, repeats: 1, threads: 1 });
    expect(args[0]).toBe(PEER_SCRIPT);
    expect(args.join(' ')).toBe(`${PEER_SCRIPT} --no-isolate --mixers fnet,fftnet --lengths 64,128 --batch 2 --d-model 16 --heads 4 --layers 3 --mlp-dim 32 --warmup 0 --repeats 1 --threads 1`);
  });
});

describe('ours against PyTorch', () => {
  const peerRow = (mixer: string, length: number, stepMs: number, forwardMs: number) => ({
    mixer, length, params: 100, stepMs, forwardMs, peakBytes: null, rssPeakBytes: 1, tokensPerSec: 1,
  });
  const ours = [
    row('attention', 1024, 3000),
    row('attention', 2048, 9000),
    row('fnet', 4096, 1500),
    row('fftnet', 4096, 2000),
    unmeasuredRow('fftnet', 8192, { warmup: 1, repeats: 3 }, { skipped: 'predicted step 20 s > budget 12 s' }),
  ];
  const peer = [
    peerRow('attention', 1024, 1000, 250),
    peerRow('attention', 2048, 6000, 1000),
    peerRow('fnet', 4096, 300, 100),
    peerRow('fftnet', 4096, 500, 100),
    peerRow('fftnet', 8192, 1000, 200),
  ];
  const comparisons = comparePeer(ours, peer);

  it('divides our times by PyTorch\'s, per mixer and length', () => {
    expect(comparisons[0]).toMatchObject({ mixer: 'attention', length: 1024, stepRatio: 3, forwardRatio: 4, oursParams: 100, peerParams: 100, note: null });
    expect(comparisons[2]!.stepRatio).toBe(5);
    expect(comparisons[4]).toMatchObject({ stepRatio: null, oursStepMs: null, peerStepMs: 1000, note: 'ours skipped: predicted step 20 s > budget 12 s' });
  });

  it('checks the goals: attention within 2x at 1K and 2K, FNet and FFTNet within 2x of PyTorch\'s FFTNet at 4K; each within 1.5x of its own PyTorch step', () => {
    expect(peerGoals(comparisons)).toEqual([
      { goal: "attention train step at 1024 within 2x of PyTorch's", ratio: 3, met: false },
      { goal: "attention train step at 2048 within 2x of PyTorch's", ratio: 1.5, met: true },
      { goal: "fftnet train step at 4096 within 2x of PyTorch's FFTNet", ratio: 4, met: false },
      { goal: "fnet train step at 4096 within 2x of PyTorch's FFTNet", ratio: 3, met: false },
      { goal: "attention train step at 1024 within 1.5x of PyTorch's attention", ratio: 3, met: false },
      { goal: "attention train step at 2048 within 1.5x of PyTorch's attention", ratio: 1.5, met: true },
      { goal: "fftnet train step at 4096 within 1.5x of PyTorch's FFTNet", ratio: 4, met: false },
      { goal: "fnet train step at 4096 within 1.5x of PyTorch's FNet", ratio: 5, met: false },
    ]);
  });

  it('prints one row per mixer and length with the ratio', () => {
    const md = peerMarkdown(comparisons, {
      backend: 'wasm', cpu: 'Test CPU', cores: 2, torch: '1.13.0', threads: 2, batch: 8, dModel: 64, heads: 4, layers: 1, mlpDim: 128,
      warmup: 1, repeats: 3, budgetStepMs: 12_000, date: '2026-01-01',
    });
    expect(md).toContain('PyTorch 1.13.0 on the CPU with 2 thread(s)');
    expect(md).toContain('| attention | 1024 | 3000 | 1000 | 3.00x | 1000 | 250 | 4.00x | 100 (same) |  |');
    expect(md).toContain('| fftnet | 8192 |  | 1000 | n/a |  | 200 | n/a |  | ours skipped: predicted step 20 s > budget 12 s |');
    expect(md).toContain("| fnet train step at 4096 within 2x of PyTorch's FFTNet | 3.000x | no |");
  });
});

describe.skipIf(!torch.ok)('the PyTorch peer itself', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('builds the same models as ours: equal parameter counts for every mixer and shape', async () => {
    const shapes = [
      { batch: 2, dModel: 24, heads: 3, layers: 2, mlpDim: 40, length: 101 },
      { batch: 8, dModel: 64, heads: 4, layers: 1, mlpDim: 128, length: 1024 },
    ];
    for (const { length, ...shape } of shapes) {
      const report = await runPeer({ ...shape, mixers: ['attention', 'fnet', 'fftnet'], lengths: [length], warmup: 0, repeats: 1, paramsOnly: true });
      for (const mixer of ['attention', 'fnet', 'fftnet']) {
        const model = createClassifier(benchConfig(mixer, length, shape), 1);
        const theirs = report.results.find((r) => r.mixer === mixer)!;
        expect(theirs.params, `${mixer} at ${length}, ${JSON.stringify(shape)}`).toBe(model.paramCount());
        model.dispose();
      }
    }
  });

  it('times a cell, reports the same fields as ours, and skips what its budget rules out by the same rule', () => {
    const out = spawnSync(PEER_PYTHON, [PEER_SCRIPT, '--no-isolate', '--mixers', 'fnet', '--lengths', '16,32', '--batch', '1', '--d-model', '8', '--heads', '2', '--mlp-dim', '8', '--warmup', '0', '--repeats', '1', '--threads', '1', '--budget-ms', '0.001'], { encoding: 'utf8' });
    expect(out.status).toBe(0);
    const report = parsePeerOutput(out.stdout);
    expect(report.threads).toBe(1);
    const [timed] = report.results;
    expect(timed).toMatchObject({ mixer: 'fnet', length: 16, peakBytes: null });
    expect(timed!.stepMs).toBeGreaterThan(0);
    expect(timed!.forwardMs).toBeGreaterThan(0);
    expect(timed!.tokensPerSec).toBeCloseTo((16 * 1000) / timed!.stepMs, 6);
    expect(timed!.rssPeakBytes).toBeGreaterThan(20 * 2 ** 20);
    // N^1.5 from one point, as predictCost.
    const predicted = report.results[0]!.stepMs * 2 ** 1.5;
    expect(report.results[1]!.skipped).toMatch(/^predicted step \d+ ms > budget 0 ms$/);
    expect((JSON.parse(out.stdout) as { results: Array<{ predictedStepMs: number }> }).results[1]!.predictedStepMs).toBeCloseTo(predicted, 6);
  });
});

describe('without PyTorch', () => {
  it('says why the peer cannot run instead of failing', () => {
    expect(peerAvailability('/nonexistent/python3')).toEqual({ ok: false, reason: expect.stringMatching(/^\/nonexistent\/python3 cannot be run/) });
    // node has no torch module to import: its exit status is what a python3 without torch gives.
    expect(peerAvailability(process.execPath)).toMatchObject({ ok: false });
  });
});
