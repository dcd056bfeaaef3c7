import { describe, expect, it } from 'vitest';
import { compareSpectralOps, parseTorchFft, spectralPeerMarkdown } from '../../src/bench/spectral-peer.js';
import type { SpectralOpBenchRow } from '../../src/bench/spectral-ops.js';

const ours = (op: string, forwardMs: number, forwardBackwardMs: number): SpectralOpBenchRow => ({
  op, rows: 512, n: 4096, forwardMs, forwardBackwardMs, nlog2n: 4096 * 12, msPerNlogN: forwardMs / (512 * 4096 * 12),
});

describe('lra bench --ops --peer', () => {
  const torch = parseTorchFft(JSON.stringify({
    torch: '1.13.0', threads: 2, machine: 'x86_64',
    results: [
      { op: 'rfft', rows: 512, n: 4096, forwardMs: 4, forwardBackwardMs: 20 },
      { op: 'irfft', rows: 512, n: 4096, forwardMs: 4, forwardBackwardMs: 10 },
    ],
  }));

  it('divides our times by torch.fft\'s, op by op, and checks the 1.5x goal on forward + backward', () => {
    const rows = compareSpectralOps([ours('rfft', 8, 20), ours('irfft', 4, 16), ours('dct', 5, 9)], torch.results);
    expect(rows).toEqual([
      expect.objectContaining({ op: 'rfft', forwardRatio: 2, forwardBackwardRatio: 1, met: true }),
      expect.objectContaining({ op: 'irfft', forwardRatio: 1, forwardBackwardRatio: 1.6, met: false }),
    ]);
    const md = spectralPeerMarkdown(rows, { backend: 'wasm', threads: 2, torch: torch.torch, cpu: 'Test CPU' });
    expect(md).toContain('PyTorch 1.13.0 (torch.fft) with 2 thread(s)');
    expect(md).toContain('| irfft | 512 | 4096 | 4.00 | 4.00 | 1.00x | 16.00 | 10.00 | 1.60x | no |');
  });

  it('refuses output that is not torch_fft.py\'s, saying what is missing', () => {
    expect(() => parseTorchFft('Traceback (most recent call last)')).toThrow(/printed no JSON: Traceback/);
    expect(() => parseTorchFft('{"torch": "1.13"}')).toThrow(/expected \{torch, threads, results\[\]\}/);
    expect(() => parseTorchFft(JSON.stringify({ torch: '1', threads: 1, results: [{ op: 'fft', rows: 1, n: 8 }] }))).toThrow(/result 0 lacks/);
  });
});
