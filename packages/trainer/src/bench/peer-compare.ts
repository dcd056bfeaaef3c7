// `lra bench --peer`: this project's cells and the PyTorch peer's, interleaved cell by cell (so a
// loaded machine loads both alike), and their ratio "ours / PyTorch" per mixer and length.
import { type CellBudget, type CellHistory, formatDuration, planCell } from './cell-budget.js';
import { type BenchRepeats, type ModelBenchRow, unmeasuredRow } from './model-bench.js';
import type { PeerRow } from './peer.js';
import type { CellRunner } from './speed-sweep.js';

export type PeerCellRunner = (mixer: string, length: number, counts: BenchRepeats) => Promise<PeerRow>;

export interface PeerSweepOptions {
  mixers: string[];
  lengths: number[];
  counts: BenchRepeats;
  /** Budget of this project's cells (step time, wasm heap). */
  budget: CellBudget;
  /** Budget of the peer's cells (step time, resident memory). */
  peerBudget: CellBudget;
  onRow?: (side: 'ours' | 'pytorch', row: ModelBenchRow | PeerRow) => void;
}

function historyEntry(row: { length: number; stepMs: number; error?: string; skipped?: string }, peakBytes: number): CellHistory {
  return {
    length: row.length,
    ...(Number.isFinite(row.stepMs) ? { stepMs: row.stepMs } : {}),
    ...(peakBytes > 0 ? { peakBytes } : {}),
    ...(row.error !== undefined ? { error: row.error } : {}),
    ...(row.skipped !== undefined ? { skipped: row.skipped } : {}),
  };
}

function skippedPeerRow(mixer: string, length: number, skipped: string): PeerRow {
  return { mixer, length, params: 0, forwardMs: Number.NaN, stepMs: Number.NaN, peakBytes: null, rssPeakBytes: 0, tokensPerSec: Number.NaN, skipped };
}

export async function measurePeerSweep(
  opts: PeerSweepOptions,
  runOurs: CellRunner,
  runPeerCell: PeerCellRunner,
): Promise<{ ours: ModelBenchRow[]; peer: PeerRow[] }> {
  const lengths = [...new Set(opts.lengths)].sort((a, b) => a - b);
  const ours: ModelBenchRow[] = [];
  const peer: PeerRow[] = [];
  for (const mixer of opts.mixers) {
    const oursHistory: CellHistory[] = [];
    const peerHistory: CellHistory[] = [];
    for (const length of lengths) {
      const plan = planCell(oursHistory, length, opts.budget);
      const row = plan.run ? await runOurs(mixer, length, opts.counts) : unmeasuredRow(mixer, length, opts.counts, { skipped: plan.reason });
      oursHistory.push(historyEntry(row, row.peakBytes));
      ours.push(row);
      opts.onRow?.('ours', row);
      // The peer's memory is its resident set: PyTorch reports no allocator peak.
      const peerPlan = planCell(peerHistory, length, opts.peerBudget);
      const theirs = peerPlan.run ? await runPeerCell(mixer, length, opts.counts) : skippedPeerRow(mixer, length, peerPlan.reason);
      peerHistory.push(historyEntry(theirs, theirs.rssPeakBytes));
      peer.push(theirs);
      opts.onRow?.('pytorch', theirs);
    }
  }
  return { ours, peer };
}

export interface PeerComparison {
  mixer: string;
  length: number;
  oursStepMs: number | null;
  peerStepMs: number | null;
  /** ours / PyTorch: above 1, ours is that many times slower. */
  stepRatio: number | null;
  oursForwardMs: number | null;
  peerForwardMs: number | null;
  forwardRatio: number | null;
  oursParams: number;
  peerParams: number;
  /** Why a side has no timing, when one has none. */
  note: string | null;
  /** Threads of our wasm backend, as the cell's process reported them (`lra bench --peer --threads`). */
  threads?: number;
  /** torch.set_num_threads of the PyTorch cell (the same count unless --peer-threads says otherwise). */
  peerThreads?: number;
}

const timing = (v: number): number | null => (Number.isFinite(v) && v > 0 ? v : null);

export function comparePeer(ours: readonly ModelBenchRow[], peer: readonly PeerRow[]): PeerComparison[] {
  return ours.map((o) => {
    const p = peer.find((r) => r.mixer === o.mixer && r.length === o.length);
    const oursStep = timing(o.stepMs);
    const peerStep = p ? timing(p.stepMs) : null;
    const oursForward = timing(o.forwardMs);
    const peerForward = p ? timing(p.forwardMs) : null;
    const notes = [
      o.error !== undefined ? `ours failed: ${o.error}` : o.skipped !== undefined ? `ours skipped: ${o.skipped}` : null,
      !p ? 'PyTorch: not run' : p.error !== undefined ? `PyTorch failed: ${p.error}` : p.skipped !== undefined ? `PyTorch skipped: ${p.skipped}` : null,
    ].filter((n): n is string => n !== null);
    return {
      mixer: o.mixer,
      length: o.length,
      oursStepMs: oursStep,
      peerStepMs: peerStep,
      stepRatio: oursStep !== null && peerStep !== null ? oursStep / peerStep : null,
      oursForwardMs: oursForward,
      peerForwardMs: peerForward,
      forwardRatio: oursForward !== null && peerForward !== null ? oursForward / peerForward : null,
      oursParams: o.params,
      peerParams: p?.params ?? 0,
      note: notes.length > 0 ? notes.join('; ') : null,
    };
  });
}

export interface PeerGoal {
  goal: string;
  /** The measured ratio the goal is about (ours / PyTorch), or null when a side did not run. */
  ratio: number | null;
  met: boolean | null;
}

/**
 * The project's goals against the peer: softmax attention within 2x of PyTorch at 1K and 2K, and
 * FNet and FFTNet within 2x of PyTorch's FFTNet at 4K (train steps).
 */
export function peerGoals(comparisons: readonly PeerComparison[]): PeerGoal[] {
  // One set of goals per thread count measured: a ratio compares two figures at equal threads.
  const counts = [...new Set(comparisons.map((c) => c.threads))];
  return counts.flatMap((threads) => goalsAt(comparisons.filter((c) => c.threads === threads), threads));
}

function goalsAt(comparisons: readonly PeerComparison[], threads: number | undefined): PeerGoal[] {
  const at = (mixer: string, length: number) => comparisons.find((c) => c.mixer === mixer && c.length === length);
  const each = threads === undefined ? '' : ` (${threads} thread${threads === 1 ? '' : 's'} each)`;
  const goals: PeerGoal[] = [];
  for (const length of [1024, 2048]) {
    const c = at('attention', length);
    if (c) goals.push({ goal: `attention train step at ${length} within 2x of PyTorch's${each}`, ratio: c.stepRatio, met: c.stepRatio === null ? null : c.stepRatio <= 2 });
  }
  const torchFftnet = at('fftnet', 4096)?.peerStepMs ?? null;
  for (const mixer of ['fftnet', 'fnet']) {
    const c = at(mixer, 4096);
    if (!c) continue;
    const ratio = c.oursStepMs !== null && torchFftnet !== null ? c.oursStepMs / torchFftnet : null;
    goals.push({ goal: `${mixer} train step at 4096 within 2x of PyTorch's FFTNet${each}`, ratio, met: ratio === null ? null : ratio <= 2 });
  }
  // The tighter goals of the threads work, each mixer against its own PyTorch step.
  const within = (mixer: string, length: number, name: string) => {
    const c = at(mixer, length);
    if (c) goals.push({ goal: `${mixer} train step at ${length} within 1.5x of PyTorch's ${name}${each}`, ratio: c.stepRatio, met: c.stepRatio === null ? null : c.stepRatio <= 1.5 });
  };
  within('attention', 1024, 'attention');
  within('attention', 2048, 'attention');
  within('fftnet', 4096, 'FFTNet');
  within('fnet', 4096, 'FNet');
  return goals;
}

export interface PeerRunInfo {
  backend: string;
  cpu: string;
  cores: number;
  torch: string;
  /** PyTorch's threads (of the first count, where several were measured). */
  threads: number;
  /** Our wasm threads per measured count (`--threads 1,2`); each PyTorch cell ran at the same count unless --peer-threads. */
  threadCounts?: number[];
  batch: number;
  dModel: number;
  heads: number;
  layers: number;
  mlpDim: number;
  warmup: number;
  repeats: number;
  budgetStepMs: number;
  date: string;
}

const ms = (v: number | null): string => (v === null ? '' : v >= 100 ? v.toFixed(0) : v.toFixed(1));
const times = (v: number | null): string => (v === null ? 'n/a' : `${v.toFixed(2)}x`);

export function peerMarkdown(comparisons: readonly PeerComparison[], info: PeerRunInfo): string {
  const out = [
    '# This project against PyTorch, one machine, one invocation',
    '',
    (info.threadCounts === undefined
      ? `Ours: backend ${info.backend} (single-threaded). PyTorch ${info.torch} on the CPU with ${info.threads} thread(s) `
      : `Ours: backend ${info.backend} with ${info.threadCounts.join(', then ')} thread(s); PyTorch ${info.torch} on the CPU at the thread count of each row `) +
      `(torch.set_num_threads; the machine has ${info.cores} cores: ${info.cpu}). ${info.date}.`,
    `Same classifier and shapes: batch ${info.batch}, d_model ${info.dModel}, ${info.heads} heads, ${info.layers} layer(s), ` +
      `feed-forward ${info.mlpDim}. Medians of ${info.repeats} after ${info.warmup} warm-up; cells run alternately (ours, then PyTorch), ` +
      `each in a process of its own; cells predicted above ${formatDuration(info.budgetStepMs)} per step are skipped.`,
    '',
  ];
  // A threads column where thread counts were recorded: "2" when both sides ran 2, "2 / 1" otherwise.
  const threaded = comparisons.some((c) => c.threads !== undefined);
  const threadsCell = (c: PeerComparison): string =>
    c.threads === undefined ? '' : c.peerThreads === undefined || c.peerThreads === c.threads ? `${c.threads}` : `${c.threads} / ${c.peerThreads}`;
  out.push(
    `| mixer | length |${threaded ? ' threads (ours / PyTorch) |' : ''} ours step ms | PyTorch step ms | step ours/PyTorch | ours forward ms | PyTorch forward ms | forward ours/PyTorch | params (ours = PyTorch) | note |`,
    `|---|---|${threaded ? '---|' : ''}---|---|---|---|---|---|---|---|`,
  );
  for (const c of comparisons) {
    const params = c.peerParams === 0 || c.oursParams === 0 ? '' : c.oursParams === c.peerParams ? `${c.oursParams} (same)` : `${c.oursParams} vs ${c.peerParams}`;
    out.push(
      `| ${c.mixer} | ${c.length} |${threaded ? ` ${threadsCell(c)} |` : ''} ${ms(c.oursStepMs)} | ${ms(c.peerStepMs)} | ${times(c.stepRatio)} | ${ms(c.oursForwardMs)} | ${ms(c.peerForwardMs)} | ${times(c.forwardRatio)} | ${params} | ${(c.note ?? '').replace(/\|/g, '\\|')} |`,
    );
  }
  const goals = peerGoals(comparisons);
  if (goals.length > 0) {
    out.push('', '## Goals', '', '| goal | ours / PyTorch | met |', '|---|---|---|');
    // Three decimals: a ratio of 2.004 must not read as the 2.00 that would meet the goal.
    for (const g of goals) out.push(`| ${g.goal} | ${g.ratio === null ? 'n/a' : `${g.ratio.toFixed(3)}x`} | ${g.met === null ? 'not measured' : g.met ? 'yes' : 'no'} |`);
  }
  out.push('');
  return out.join('\n');
}
