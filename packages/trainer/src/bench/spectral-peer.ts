// `lra bench --ops ... --peer`: the spectral ops against torch.fft (scripts/bench/torch_fft.py)
// on the same shapes, the same loss and the same thread count, op by op: forward and forward +
// backward, with the ratio ours / PyTorch.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { SpectralOpBenchRow } from './spectral-ops.js';

/** The script that times torch.fft. */
export const TORCH_FFT_SCRIPT = fileURLToPath(new URL('../../../../scripts/bench/torch_fft.py', import.meta.url));

/** The ops torch_fft.py times; the others have no PyTorch peer. */
export const TORCH_FFT_OPS = ['rfft', 'irfft', 'fft', 'ifft'] as const;

/** Ratio goal of the threads work: forward + backward within this factor of torch.fft. */
export const SPECTRAL_PEER_GOAL = 1.5;

export interface TorchFftRow {
  op: string;
  rows: number;
  n: number;
  forwardMs: number;
  forwardBackwardMs: number;
}

export interface TorchFftReport {
  torch: string;
  threads: number;
  results: TorchFftRow[];
}

export interface SpectralPeerRow {
  op: string;
  rows: number;
  n: number;
  oursForwardMs: number;
  torchForwardMs: number;
  forwardRatio: number;
  oursForwardBackwardMs: number;
  torchForwardBackwardMs: number;
  forwardBackwardRatio: number;
  /** forwardBackwardRatio <= SPECTRAL_PEER_GOAL. */
  met: boolean;
}

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** torch_fft.py's JSON, checked field by field. */
export function parseTorchFft(stdout: string): TorchFftReport {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch {
    throw new Error(`torch_fft.py printed no JSON: ${stdout.trim().slice(0, 200) || '(nothing)'}`);
  }
  const report = parsed as Partial<TorchFftReport> | null;
  if (report === null || typeof report.torch !== 'string' || !isNumber(report.threads) || !Array.isArray(report.results)) {
    throw new Error('torch_fft.py: expected {torch, threads, results[]}');
  }
  report.results.forEach((r, i) => {
    if (typeof r?.op !== 'string' || !isNumber(r.rows) || !isNumber(r.n) || !isNumber(r.forwardMs) || !isNumber(r.forwardBackwardMs)) {
      throw new Error(`torch_fft.py: result ${i} lacks op, rows, n, forwardMs or forwardBackwardMs`);
    }
  });
  return report as TorchFftReport;
}

/** Runs torch_fft.py on the ops it knows, at `threads` threads. */
export function runTorchFft(
  python: string, opts: { ops: string[]; rows: number; lengths: number[]; threads: number; repeats: number; warmup: number },
): TorchFftReport {
  const ops = opts.ops.filter((op) => (TORCH_FFT_OPS as readonly string[]).includes(op));
  if (ops.length === 0) throw new Error(`--peer: torch.fft is timed for ${TORCH_FFT_OPS.join(', ')} only`);
  const run = spawnSync(python, [
    TORCH_FFT_SCRIPT, '--ops', ops.join(','), '--rows', String(opts.rows), '--lengths', opts.lengths.join(','),
    '--threads', String(opts.threads), '--repeats', String(opts.repeats), '--warmup', String(opts.warmup),
  ], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (run.error) throw new Error(`${python} cannot be run (${run.error.message})`);
  if (run.status !== 0) throw new Error(`torch_fft.py failed (exit ${run.status}): ${run.stderr.trim().slice(-400)}`);
  return parseTorchFft(run.stdout);
}

/** Ours against PyTorch, op by op, where both timed the same op, rows and length. */
export function compareSpectralOps(ours: readonly SpectralOpBenchRow[], torch: readonly TorchFftRow[]): SpectralPeerRow[] {
  return ours.flatMap((o) => {
    const t = torch.find((r) => r.op === o.op && r.rows === o.rows && r.n === o.n);
    if (t === undefined) return [];
    const forwardBackwardRatio = o.forwardBackwardMs / t.forwardBackwardMs;
    return [{
      op: o.op, rows: o.rows, n: o.n,
      oursForwardMs: o.forwardMs, torchForwardMs: t.forwardMs, forwardRatio: o.forwardMs / t.forwardMs,
      oursForwardBackwardMs: o.forwardBackwardMs, torchForwardBackwardMs: t.forwardBackwardMs, forwardBackwardRatio,
      met: forwardBackwardRatio <= SPECTRAL_PEER_GOAL,
    }];
  });
}

/** The comparison as a markdown table. */
export function spectralPeerMarkdown(rows: readonly SpectralPeerRow[], info: { backend: string; threads: number; torch: string; cpu: string }): string {
  const out = [
    `Ours: backend ${info.backend}, ${info.threads} thread(s); PyTorch ${info.torch} (torch.fft) with ${info.threads} thread(s); ${info.cpu}.`,
    `Goal: forward + backward within ${SPECTRAL_PEER_GOAL}x of PyTorch's.`,
    '',
    '| op | rows | n | ours fwd ms | PyTorch fwd ms | fwd ours/PyTorch | ours fwd+bwd ms | PyTorch fwd+bwd ms | fwd+bwd ours/PyTorch | goal met |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const r of rows) {
    out.push(`| ${r.op} | ${r.rows} | ${r.n} | ${r.oursForwardMs.toFixed(2)} | ${r.torchForwardMs.toFixed(2)} | ${r.forwardRatio.toFixed(2)}x | ` +
      `${r.oursForwardBackwardMs.toFixed(2)} | ${r.torchForwardBackwardMs.toFixed(2)} | ${r.forwardBackwardRatio.toFixed(2)}x | ${r.met ? 'yes' : 'no'} |`);
  }
  out.push('');
  return out.join('\n');
}
