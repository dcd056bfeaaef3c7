// The PyTorch peer (bench/peer/peer.py): the same classifier, shapes and timing in PyTorch on the
// CPU, run beside this project's own measurement so that "ours / PyTorch" compares two figures
// taken on one machine in one invocation. A benchmark tool only: absent torch, it is skipped.
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BenchRepeats, BenchShape } from './model-bench.js';

export const PEER_SCRIPT = fileURLToPath(new URL('../../bench/peer/peer.py', import.meta.url));
/** Debian's interpreter, where python3-torch installs; other python3s on PATH may lack torch. */
export const PEER_PYTHON = '/usr/bin/python3';
/** The mixers the peer implements. */
export const PEER_MIXERS = ['attention', 'fnet', 'fftnet'] as const;

export interface PeerRow {
  mixer: string;
  length: number;
  params: number;
  forwardMs: number;
  stepMs: number;
  /** Always null: PyTorch keeps no statistics of its CPU allocator. */
  peakBytes: number | null;
  rssPeakBytes: number;
  tokensPerSec: number;
  error?: string;
  skipped?: string;
}

export interface PeerReport {
  framework: string;
  backend: string;
  torch: string;
  threads: number;
  machine: { cpu: string; cores: number };
  results: PeerRow[];
}

/** Whether `python` can import torch; the reason when it cannot. */
export function peerAvailability(python = PEER_PYTHON): { ok: true; torch: string } | { ok: false; reason: string } {
  const r = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
  if (r.error) return { ok: false, reason: `${python} cannot be run (${r.error.message})` };
  if (r.status !== 0) return { ok: false, reason: `${python} has no PyTorch (import torch failed)` };
  return { ok: true, torch: r.stdout.trim() };
}

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Reads the peer's JSON, checking the fields the comparison uses; a row without timings must say why. */
export function parsePeerOutput(stdout: string): PeerReport {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch {
    throw new Error(`the PyTorch peer printed no JSON: ${stdout.trim().slice(0, 200) || '(nothing)'}`);
  }
  const report = parsed as Partial<PeerReport>;
  if (typeof report.torch !== 'string' || !isNumber(report.threads) || !Array.isArray(report.results)) {
    throw new Error('the PyTorch peer output lacks torch, threads or results');
  }
  const results = report.results.map((raw, i): PeerRow => {
    const row = raw as Partial<PeerRow> & Record<string, unknown>;
    if (typeof row.mixer !== 'string' || !Number.isInteger(row.length)) throw new Error(`peer result ${i} lacks mixer or length`);
    const why = typeof row.error === 'string' ? { error: row.error } : typeof row.skipped === 'string' ? { skipped: row.skipped } : null;
    const timed = isNumber(row.stepMs) && isNumber(row.forwardMs);
    if (!timed && !why && !isNumber(row.params)) throw new Error(`peer result ${i} (${row.mixer} @ ${row.length}) has neither timings nor a reason`);
    return {
      mixer: row.mixer,
      length: row.length!,
      params: isNumber(row.params) ? row.params : 0,
      forwardMs: timed ? row.forwardMs! : Number.NaN,
      stepMs: timed ? row.stepMs! : Number.NaN,
      peakBytes: isNumber(row.peakBytes) ? row.peakBytes : null,
      rssPeakBytes: isNumber(row.rssPeakBytes) ? row.rssPeakBytes : 0,
      tokensPerSec: isNumber(row.tokensPerSec) ? row.tokensPerSec : Number.NaN,
      ...(why ?? {}),
    };
  });
  return {
    framework: String(report.framework ?? 'pytorch'),
    backend: String(report.backend ?? 'pytorch-cpu'),
    torch: report.torch,
    threads: report.threads,
    machine: report.machine ?? { cpu: 'unknown', cores: 0 },
    results,
  };
}

export interface PeerRequest extends BenchShape, BenchRepeats {
  mixers: string[];
  lengths: number[];
  /** torch.set_num_threads; default the peer's own (every core). */
  threads?: number;
  /** Build the models and report parameter counts only. */
  paramsOnly?: boolean;
  python?: string;
}

export function peerArguments(req: PeerRequest): string[] {
  return [
    PEER_SCRIPT, '--no-isolate',
    '--mixers', req.mixers.join(','), '--lengths', req.lengths.join(','),
    '--batch', String(req.batch), '--d-model', String(req.dModel), '--heads', String(req.heads),
    '--layers', String(req.layers), '--mlp-dim', String(req.mlpDim),
    '--warmup', String(req.warmup), '--repeats', String(req.repeats),
    ...(req.threads !== undefined ? ['--threads', String(req.threads)] : []),
    ...(req.paramsOnly ? ['--params-only'] : []),
  ];
}

/** Runs the peer once (its cells in its own process, one after another) and parses its report. */
export function runPeer(req: PeerRequest): Promise<PeerReport> {
  if (req.reversible) return Promise.reject(new Error('the PyTorch peer has no reversible blocks'));
  return new Promise((resolve, reject) => {
    const child = spawn(req.python ?? PEER_PYTHON, peerArguments(req), { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code !== 0) {
        const last = stderr.trim().split('\n').pop() ?? '';
        reject(new Error(`the PyTorch peer ${signal ? `was killed by ${signal}` : `exited with code ${code}`}${last ? `: ${last}` : ''}`));
        return;
      }
      try {
        resolve(parsePeerOutput(stdout));
      } catch (err) {
        reject(err as Error);
      }
    });
  });
}
