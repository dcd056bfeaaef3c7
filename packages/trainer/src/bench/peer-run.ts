// `lra bench --peer`: this project's cells and the PyTorch peer's, interleaved, compared, written
// as peer.md and peer.json.
import { join } from 'node:path';
import type { MachineDescription } from '@lra/models';
import { writeFileAtomic } from '../util/atomic.js';
import type { CellBudget } from './cell-budget.js';
import type { BenchRepeats, BenchShape, ModelBenchRow } from './model-bench.js';
import { type PeerComparison, type PeerRunInfo, comparePeer, measurePeerSweep, peerGoals, peerMarkdown } from './peer-compare.js';
import { type PeerRow, runPeer } from './peer.js';
import { cellRunner } from './speed-run.js';

export const PEER_FILES = { markdown: 'peer.md', json: 'peer.json' } as const;
export const DEFAULT_PEER_LENGTHS = [1024, 2048, 3072, 4096];

export interface PeerRunOptions extends BenchShape {
  mixers: string[];
  lengths: number[];
  counts: BenchRepeats;
  budget: CellBudget;
  peerBudget: CellBudget;
  backend: string;
  machine: MachineDescription;
  torch: string;
  /** torch.set_num_threads for every PyTorch cell; default: the same count as ours in that cell. */
  threads?: number;
  /** Our wasm threads, one pass of every cell per count (`lra bench --peer --threads 1,2`); default: the child's default. */
  oursThreads?: number[];
  python?: string;
  isolate: boolean;
  outDir: string;
  onRow?: (side: 'ours' | 'pytorch', row: ModelBenchRow | PeerRow) => void;
}

export interface PeerRunResult {
  ours: ModelBenchRow[];
  peer: PeerRow[];
  comparisons: PeerComparison[];
  info: PeerRunInfo;
  markdown: string;
  files: string[];
}

export async function runPeerComparison(opts: PeerRunOptions): Promise<PeerRunResult> {
  const shape: BenchShape = { batch: opts.batch, dModel: opts.dModel, heads: opts.heads, layers: opts.layers, mlpDim: opts.mlpDim };
  let threads = opts.threads ?? opts.machine.cores;
  let torch = opts.torch;
  const peerCell = (peerThreads: number | undefined) => async (mixer: string, length: number, counts: BenchRepeats): Promise<PeerRow> => {
    try {
      const report = await runPeer({
        ...shape,
        ...counts,
        mixers: [mixer],
        lengths: [length],
        ...(peerThreads !== undefined ? { threads: peerThreads } : {}),
        ...(opts.python !== undefined ? { python: opts.python } : {}),
      });
      threads = report.threads;
      torch = report.torch;
      const row = report.results[0];
      if (!row) throw new Error('the PyTorch peer returned no row');
      return row;
    } catch (err) {
      return { mixer, length, params: 0, forwardMs: Number.NaN, stepMs: Number.NaN, peakBytes: null, rssPeakBytes: 0, tokensPerSec: Number.NaN, error: (err as Error).message };
    }
  };
  const ours: ModelBenchRow[] = [];
  const peer: PeerRow[] = [];
  const comparisons: PeerComparison[] = [];
  let firstPeerThreads: number | undefined;
  // One pass per thread count; within a pass the two sides alternate cell by cell, at equal threads.
  for (const oursThreads of opts.oursThreads ?? [undefined]) {
    const peerThreads = opts.threads ?? oursThreads;
    const pass = await measurePeerSweep(
      {
        mixers: opts.mixers,
        lengths: opts.lengths,
        counts: opts.counts,
        budget: opts.budget,
        peerBudget: opts.peerBudget,
        ...(opts.onRow ? { onRow: opts.onRow } : {}),
      },
      cellRunner(shape, opts.backend, opts.isolate, undefined, oursThreads),
      peerCell(peerThreads),
    );
    firstPeerThreads ??= threads;
    ours.push(...pass.ours);
    peer.push(...pass.peer);
    if (oursThreads === undefined) comparisons.push(...comparePeer(pass.ours, pass.peer));
    else {
      // The threads each side reported: ours from the cell's backend, PyTorch's from its report.
      comparisons.push(...comparePeer(pass.ours, pass.peer).map((c, i) => ({ ...c, threads: pass.ours[i]?.threads ?? oursThreads, peerThreads: peerThreads ?? threads })));
    }
  }
  threads = firstPeerThreads ?? threads;
  const info: PeerRunInfo = {
    backend: opts.backend,
    cpu: opts.machine.cpu,
    cores: opts.machine.cores,
    torch,
    threads,
    ...(opts.oursThreads !== undefined ? { threadCounts: opts.oursThreads } : {}),
    batch: opts.batch,
    dModel: opts.dModel,
    heads: opts.heads,
    layers: opts.layers,
    mlpDim: opts.mlpDim,
    warmup: opts.counts.warmup,
    repeats: opts.counts.repeats,
    budgetStepMs: opts.budget.stepMs,
    date: new Date().toISOString(),
  };
  const markdown = peerMarkdown(comparisons, info);
  const files = [join(opts.outDir, PEER_FILES.markdown), join(opts.outDir, PEER_FILES.json)];
  await writeFileAtomic(files[0]!, markdown);
  const json = { ...info, machine: opts.machine, ours, pytorch: peer, comparisons, goals: peerGoals(comparisons) };
  await writeFileAtomic(files[1]!, `${JSON.stringify(json, null, 2)}\n`);
  return { ours, peer, comparisons, info, markdown, files };
}
