import { describe, expect, it } from 'vitest';
import { cellArguments } from '../../src/bench/isolated-cell.js';
import type { ModelBenchRow } from '../../src/bench/model-bench.js';
import { comparePeer, peerGoals, peerMarkdown } from '../../src/bench/peer-compare.js';
import type { PeerRow } from '../../src/bench/peer.js';
import { medianOfRounds } from '../../src/bench/round-median.js';
import { scalingLines, threadScaling } from '../../src/bench/thread-scaling.js';
import { threadCountsFlag, threadsFlag } from '../../src/cli/threads.js';
import { benchCounts } from '../../src/cli/commands/bench.js';

function row(mixer: string, length: number, threads: number, stepMs: number, requestedThreads = threads): ModelBenchRow {
  return { mixer, length, params: 1, forwardMs: stepMs / 2, stepMs, peakBytes: 0, rssPeakBytes: 0, tokensPerSec: 1, warmup: 0, repeats: 1, threads, requestedThreads };
}

describe('lra bench --threads', () => {
  it('times several thread counts after five warm-up steps unless told otherwise (a 2-thread process settles late)', () => {
    expect(benchCounts({ many: false, severalThreads: true }, {})).toEqual({ warmup: 5, repeats: 5 });
    expect(benchCounts({ many: false, severalThreads: false }, {})).toEqual({ warmup: 2, repeats: 5 });
    expect(benchCounts({ many: true, severalThreads: true }, {})).toEqual({ warmup: 1, repeats: 3 });
    expect(benchCounts({ many: false, severalThreads: true }, { warmup: 1, repeats: undefined })).toEqual({ warmup: 1, repeats: 5 });
  });

  it('reads one count or several, each a whole number >= 1', () => {
    expect(threadsFlag('3')).toBe(3);
    expect(threadCountsFlag('1,2, 2')).toEqual([1, 2]);
    expect(() => threadsFlag('0')).toThrow('--threads: expected a whole number >= 1, got 0');
    expect(() => threadCountsFlag('1,x')).toThrow('--threads: expected an integer, got "x"');
  });

  it('hands each cell\'s process its thread count', () => {
    const request = { mixer: 'fnet', length: 16, batch: 1, dModel: 8, heads: 2, layers: 1, mlpDim: 8, warmup: 0, repeats: 1, backend: 'wasm' };
    expect(cellArguments({ ...request, threads: 2 }).join(' ')).toContain('--threads 2');
    expect(cellArguments(request)).not.toContain('--threads');
  });

  it('divides the first count\'s step by each count\'s, per cell, naming the threads the backend reported', () => {
    const rows = [row('attention', 1024, 1, 1200), row('attention', 1024, 2, 700), row('fftnet', 4096, 1, 800), row('fftnet', 4096, 8, 500, 12)];
    const scaling = threadScaling(rows, [1, 2, 12]);
    expect(scaling[0]).toMatchObject({ mixer: 'attention', length: 1024, baseThreads: 1 });
    expect(scaling[0]!.cells.map((c) => [c.threads, c.stepSpeedup])).toEqual([[1, 1], [2, 1200 / 700]]);
    expect(scaling[1]!.cells.map((c) => [c.threads, c.stepSpeedup])).toEqual([[1, 1], [8, 1.6]]);
    expect(scalingLines(scaling)).toEqual([
      'attention @ 1024: step 1 thread 1200.0 ms; 2 threads 700.0 ms (1.71x)',
      'fftnet @ 4096: step 1 thread 800.0 ms; 8 threads 500.0 ms (1.60x)',
    ]);
  });

  it('takes each count\'s medians over --rounds rounds, keeping every round\'s step, and the speed-up from them', () => {
    const ones = [row('fftnet', 4096, 1, 300), row('fftnet', 4096, 1, 420), row('fftnet', 4096, 1, 310)];
    const twos = [row('fftnet', 4096, 2, 190), row('fftnet', 4096, 2, 260), { ...row('fftnet', 4096, 2, Number.NaN), error: 'killed' }];
    const one = medianOfRounds(ones);
    const two = medianOfRounds(twos);
    expect([one.stepMs, one.forwardMs, one.roundStepMs]).toEqual([310, 155, [300, 420, 310]]);
    // A round that did not time is kept in the list and left out of the median.
    expect(two.stepMs).toBe(225);
    expect(two.roundStepMs).toEqual([190, 260, Number.NaN]);
    expect(threadScaling([one, two], [1, 2])[0]!.cells[1]!.stepSpeedup).toBeCloseTo(310 / 225, 12);
    // One round: the row as measured; no round timed: the first row, with its error.
    expect(medianOfRounds([ones[0]!])).toBe(ones[0]);
    expect(medianOfRounds([twos[2]!]).error).toBe('killed');
    expect(() => medianOfRounds([])).toThrow('no rounds');
  });

  it('leaves out cells that did not run', () => {
    const failed = { ...row('attention', 2048, 2, Number.NaN), error: 'out of memory' };
    expect(threadScaling([row('attention', 2048, 1, 100), failed], [1, 2])[0]!.cells).toHaveLength(1);
    expect(threadScaling([failed], [1, 2])).toEqual([]);
  });
});

describe('lra bench --peer --threads', () => {
  const peer = (mixer: string, length: number, stepMs: number): PeerRow => ({ mixer, length, params: 1, forwardMs: stepMs, stepMs, peakBytes: null, rssPeakBytes: 0, tokensPerSec: 1 });
  const one = comparePeer([row('attention', 1024, 1, 1300)], [peer('attention', 1024, 650)]).map((c) => ({ ...c, threads: 1, peerThreads: 1 }));
  const two = comparePeer([row('attention', 1024, 2, 700)], [peer('attention', 1024, 350)]).map((c) => ({ ...c, threads: 2, peerThreads: 2 }));

  it('sets goals per thread count, each ratio at equal threads', () => {
    expect(peerGoals([...one, ...two])).toEqual([
      { goal: "attention train step at 1024 within 2x of PyTorch's (1 thread each)", ratio: 2, met: true },
      { goal: "attention train step at 1024 within 1.5x of PyTorch's attention (1 thread each)", ratio: 2, met: false },
      { goal: "attention train step at 1024 within 2x of PyTorch's (2 threads each)", ratio: 2, met: true },
      { goal: "attention train step at 1024 within 1.5x of PyTorch's attention (2 threads each)", ratio: 2, met: false },
    ]);
  });

  it('prints the threads of both sides in each row', () => {
    const md = peerMarkdown([...one, ...two], {
      backend: 'wasm', cpu: 'Test CPU', cores: 2, torch: '1.13.0', threads: 1, threadCounts: [1, 2], batch: 8, dModel: 64, heads: 4, layers: 1, mlpDim: 128,
      warmup: 1, repeats: 3, budgetStepMs: 12_000, date: '2026-01-01',
    });
    expect(md).toContain('Ours: backend wasm with 1, then 2 thread(s); PyTorch 1.13.0 on the CPU at the thread count of each row');
    expect(md).toContain('| attention | 1024 | 2 | 700 | 350 | 2.00x |');
    expect(md).toContain('| mixer | length | threads (ours / PyTorch) | ours step ms |');
  });
});
