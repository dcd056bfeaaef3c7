import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { unmeasuredRow } from '../../src/bench/model-bench.js';
import { memoryCellText, type SpeedRunInfo, speedCellText, speedTableMarkdown, unmeasuredShort, unmeasuredText } from '../../src/bench/speed-markdown.js';
import { SPEED_FILES, writeSpeedFiles } from '../../src/bench/speed-files.js';
import { logTicks } from '../../src/bench/speed-plot.js';
import { buildSpeedTable, cellOf } from '../../src/bench/speed-table.js';
import { failedRow, row } from './fixtures.js';

const MIB = 2 ** 20;
const rows = [
  row('attention', 1024, 2908.4, 1768 * MIB),
  unmeasuredRow('attention', 2048, { warmup: 1, repeats: 3 }, { skipped: 'predicted peak 6.9 GiB > 4.0 GiB heap' }),
  row('local', 1024, 1454.2, 442 * MIB),
  failedRow('local', 2048, 'Aborted(). Build with -sASSERTIONS for more info.'),
  row('fftnet', 1024, 487.7, 279 * MIB),
  row('fftnet', 2048, 980, 560 * MIB),
  failedRow('gfnet', 1024, 'invalid classifier config: something'),
  row('gfnet', 2048, 1000, 500 * MIB),
];
const table = buildSpeedTable(rows, 'attention');
const info: SpeedRunInfo = {
  backend: 'wasm',
  machine: { cpu: 'Test CPU', cores: 2, memoryGiB: 24, node: 'v20.0.0', platform: 'linux-x64' },
  batch: 8, dModel: 64, heads: 4, layers: 1, mlpDim: 128,
  warmup: 1, repeats: 3, longWarmup: 1, longRepeats: 2, longStepMs: 4000, budgetStepMs: 12_000,
  memoryLimitBytes: 4294901760, isolated: true, date: '2026-01-01T00:00:00.000Z', wallSeconds: 61.2,
};

describe('speed table cells as text', () => {
  it('prints the ratio, the step and LRA\'s published ratio', () => {
    expect(speedCellText(cellOf(table, 'attention', 1024)!)).toBe('1.00x (2908 ms) [LRA 1.00x]');
    expect(speedCellText(cellOf(table, 'local', 1024)!)).toBe('2.00x (1454 ms) [LRA 1.14x]');
    expect(memoryCellText(cellOf(table, 'local', 1024)!)).toBe('0.25x (442 MiB) [LRA 0.49x]');
    expect(speedCellText(cellOf(table, 'fftnet', 1024)!)).toBe('5.96x (488 ms)');
  });

  it('marks ratios to an estimated baseline with ~ and *', () => {
    // attention as N^1.5 from 1K: 8226 ms and 5001 MiB at 2K.
    expect(speedCellText(cellOf(table, 'fftnet', 2048)!)).toBe('~8.39x* (980 ms)');
    expect(memoryCellText(cellOf(table, 'fftnet', 2048)!)).toBe('~0.11x* (560 MiB)');
  });

  it('says OOM for an out-of-memory failure, the error otherwise, and the reason of a skip', () => {
    expect(speedCellText(cellOf(table, 'local', 2048)!)).toBe('OOM [LRA 1.71x]');
    expect(unmeasuredText(cellOf(table, 'gfnet', 1024)!)).toBe('failed: invalid classifier config: something');
    expect(speedCellText(cellOf(table, 'attention', 2048)!)).toBe('skip: ~6.9 GiB [LRA 1.00x]');
    expect(unmeasuredText(cellOf(table, 'attention', 2048)!)).toBe('skipped: predicted peak 6.9 GiB > 4.0 GiB heap');
    const both = { ...cellOf(table, 'attention', 2048)!, reason: 'predicted step 23 s > budget 20 s; predicted peak 8.6 GiB > 4.0 GiB heap' };
    expect(unmeasuredShort(both)).toBe('skip: ~23 s/step, ~8.6 GiB');
    expect(unmeasuredShort({ ...both, reason: 'predicted step 850 ms > budget 500 ms' })).toBe('skip: ~850 ms/step');
    expect(unmeasuredShort({ ...both, reason: 'failed at 2048' })).toBe('skip: failed at 2048');
  });
});

describe('lra-speed.md, .json and .svg', () => {
  it('writes the three files: a markdown grid per measure, the JSON rows and table, a log-log plot', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lra-speed-'));
    const paths = await writeSpeedFiles(dir, table, rows, info);
    expect(paths).toEqual([join(dir, SPEED_FILES.markdown), join(dir, SPEED_FILES.json), join(dir, SPEED_FILES.plot), join(dir, 'lra-speed.png')]);

    const md = readFileSync(paths[0]!, 'utf8');
    expect(md).toBe(speedTableMarkdown(table, info));
    const speedGrid = md.split('## Train-step speed relative to attention')[1]!.split('##')[0]!;
    expect(speedGrid).toContain('| mixer | 1024 | 2048 |\n|---|---|---|\n');
    expect(speedGrid).toContain('| local | 2.00x (1454 ms) [LRA 1.14x] | OOM [LRA 1.71x] |');
    expect(speedGrid).toContain('| gfnet | failed: invalid classifier config: something | ~8.23x* (1000 ms) |');
    expect(md).toContain('\\* attention did not run at this length');
    expect(md).toContain('| fftnet | 2048 | 100 | 327 | 980 | 16718 | 560 | 5600 | 1/3 |  |');
    expect(md).toContain('| fftnet | spectral | 1024-2048 (2) | 1.01 | 1.14 | within N log N |');
    expect(md).toContain('| Local Attention | 9.2 (1.14x) | 8.4 (1.71x) | 7.4 (3.22x) | 7.4 (5.29x) | 0.42 / 0.76 / 1.06 / 1.37 |');
    expect(md).toContain('Whole run: 61 s.');

    const json = JSON.parse(readFileSync(paths[1]!, 'utf8'));
    expect(json.backend).toBe('wasm');
    expect(json.results).toHaveLength(rows.length);
    // The contract's field names, with unmeasured timings as null.
    expect(Object.keys(json.results[0])).toEqual(expect.arrayContaining(['mixer', 'length', 'params', 'forwardMs', 'stepMs', 'peakBytes', 'tokensPerSec', 'rssPeakBytes']));
    expect(json.results[3]).toMatchObject({ mixer: 'local', length: 2048, stepMs: null, error: 'Aborted(). Build with -sASSERTIONS for more info.' });
    expect(json.table.cells).toHaveLength(8);
    expect(json.settings).toMatchObject({ budgetStepMs: 12_000, isolated: true });
    expect(json.published.rows[0].model).toBe('Transformer');

    const svg = readFileSync(paths[2]!, 'utf8');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    for (const mixer of ['attention', 'local', 'fftnet', 'gfnet']) expect(svg).toContain(`data-series="${mixer}"`);
    expect(svg).toContain('data-guide="N log N guide"');
    expect(svg).toContain('data-guide="N^2 guide"');
    // attention and local have one point each (a marker, no line); fftnet two (a line).
    const fftnet = svg.split('data-series="fftnet"')[1]!.split('</g>')[0]!;
    expect(fftnet).toContain('<polyline');
    expect(fftnet.match(/<circle/g)).toHaveLength(2);
    expect(svg.split('data-series="local"')[1]!.split('</g>')[0]!).not.toContain('<polyline');
    rmSync(dir, { recursive: true, force: true });
  });

  it('puts log ticks at 1, 2, 5 times powers of ten inside the range', () => {
    expect(logTicks(150, 6000)).toEqual([200, 500, 1000, 2000, 5000]);
    expect(logTicks(100, 100)).toEqual([100]);
  });
});
