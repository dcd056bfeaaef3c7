import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cellArguments, isOutOfMemory, LRA_BIN, parseCellOutput, runIsolatedCell } from '../../src/bench/isolated-cell.js';

const root = resolve(__dirname, '../../../..');
const request = { mixer: 'fnet', length: 16, batch: 1, dModel: 8, heads: 2, layers: 1, mlpDim: 8, warmup: 0, repeats: 1, backend: 'cpu' };

describe('a cell in a child process', () => {
  it('asks the child for exactly one cell, in its own process, as JSON', () => {
    const args = cellArguments(request);
    expect(args.slice(0, 5)).toEqual(['bench', '--mixers', 'fnet', '--lengths', '16']);
    expect(args).toContain('--no-isolate');
    expect(args).toContain('--json');
    expect(args).not.toContain('--reversible');
    expect(cellArguments({ ...request, reversible: true })).toContain('--reversible');
    expect(LRA_BIN).toBe(join(root, 'packages/trainer/bin/lra.js'));
  });

  it('reads the child\'s JSON, null timings as NaN, and refuses output for another cell', () => {
    const out = JSON.stringify({ backend: 'wasm', results: [{ mixer: 'fnet', length: 16, params: 5, forwardMs: null, stepMs: null, tokensPerSec: null, peakBytes: 0, rssPeakBytes: 1, warmup: 0, repeats: 1, error: 'x' }] });
    const row = parseCellOutput(out, 'fnet', 16);
    expect(Number.isNaN(row.stepMs) && Number.isNaN(row.forwardMs) && Number.isNaN(row.tokensPerSec)).toBe(true);
    expect(row.error).toBe('x');
    expect(() => parseCellOutput(out, 'fnet', 32)).toThrow('printed no result for that cell');
    expect(() => parseCellOutput('Aborted()', 'fnet', 16)).toThrow('printed no JSON: Aborted()');
  });

  it('recognises the wasm backend\'s out-of-memory failures', () => {
    expect(isOutOfMemory('memory access out of bounds')).toBe(true);
    expect(isOutOfMemory('Aborted(). Build with -sASSERTIONS for more info.')).toBe(true);
    expect(isOutOfMemory('RangeError: Array buffer allocation failed')).toBe(true);
    expect(isOutOfMemory('invalid classifier config: unknown mixer "x"')).toBe(false);
  });

  describe('with the built program', () => {
    beforeAll(() => {
      if (!existsSync(join(root, 'packages/trainer/dist/cli/main.js'))) spawnSync('npx', ['tsc', '-b'], { cwd: root, stdio: 'inherit' });
    }, 180_000);

    it('measures the cell in the child and reports the child\'s own peak memory', async () => {
      const row = await runIsolatedCell(request);
      expect(row.error).toBeUndefined();
      expect(row).toMatchObject({ mixer: 'fnet', length: 16, warmup: 0, repeats: 1 });
      expect(row.stepMs).toBeGreaterThan(0);
      expect(row.peakBytes).toBeGreaterThan(0);
      expect(row.rssPeakBytes).toBeGreaterThan(20 * 2 ** 20);
    });

    it('reports a failing cell as an error row, and kills a cell past its time limit', async () => {
      const bad = await runIsolatedCell({ ...request, mixer: 'no-such-mixer' });
      expect(bad.error).toMatch(/unknown mixer "no-such-mixer"/);
      const slow = await runIsolatedCell({ ...request, timeoutMs: 1 });
      expect(slow.error).toBe('timed out after 1 ms');
      expect(Number.isNaN(slow.stepMs)).toBe(true);
    });
  });
});
