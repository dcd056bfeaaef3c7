import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { localRadius, selectBackend } from '@lra/models';
import { analysisBatchSize, analyzeRun, type RunAnalysis } from '../../src/analyze/analyze-run.js';
import { writeAnalysis } from '../../src/analyze/write-analysis.js';
import { resolveConfig } from '../../src/config/resolve.js';
import { train } from '../../src/train/run.js';
import { silentLogger } from '../../src/util/logger.js';

const dataDir = mkdtempSync(join(tmpdir(), 'lra-analyze-data-'));
const generator = JSON.stringify({ counts: { train: 96, val: 32, test: 32 }, minLength: 8, maxLength: 24, seed: 5 });
const WINDOW = 7;

/** A tiny listops run of `mixer`, trained for a few steps through the trainer's own loop. */
async function tinyRun(mixer: string, options: Record<string, unknown> = {}): Promise<string> {
  const out = mkdtempSync(join(tmpdir(), `lra-analyze-${mixer}-`));
  const resolved = resolveConfig({
    task: 'listops',
    mixer,
    preset: 'tiny',
    dataDir,
    out,
    sets: [
      `data.generator=${generator}`,
      'data.seqLen=24',
      'backend=wasm',
      'model.dModel=8',
      'model.heads=2',
      'model.layers=2',
      'model.mlpDim=16',
      `model.mixerOptions=${JSON.stringify(options)}`,
      'train.batchSize=16',
      'train.steps=4',
      'train.warmup=2',
      'train.logEvery=2',
      'train.evalEvery=4',
      'train.evalBatchSize=16',
    ],
  });
  await train({ resolved, log: silentLogger(), progress: false });
  return out;
}

async function analyse(run: string): Promise<{ analysis: RunAnalysis; dir: string }> {
  const analysis = await analyzeRun({ run, split: 'test', batches: 2, responseExamples: 1, positionsPerExample: 2, log: silentLogger() });
  const written = await writeAnalysis(analysis);
  return { analysis, dir: written.dir };
}

function checkFiles(dir: string, analysis: RunAnalysis, expected: string[]): void {
  const files = readdirSync(dir);
  for (const name of ['analysis.json', 'index.html', 'response-offsets.svg', 'response-frequency.svg', ...expected]) expect(files, name).toContain(name);
  const json = JSON.parse(readFileSync(join(dir, 'analysis.json'), 'utf8')) as RunAnalysis;
  expect(json.mixer).toBe(analysis.mixer);
  expect(json.layers).toHaveLength(2);
  const page = readFileSync(join(dir, 'index.html'), 'utf8');
  expect(page).toContain(`listops / ${analysis.mixer}`);
  expect(page).toContain('test accuracy (run report)');
  // Every figure is inline, with ids made unique per figure.
  const svgs = files.filter((f) => f.endsWith('.svg'));
  expect(page.match(/<svg /g)).toHaveLength(svgs.length);
  expect(new Set(page.match(/ id="[^"]*plot-clip"/g)).size).toBe(page.match(/ id="[^"]*plot-clip"/g)!.length);
  for (const svg of svgs) expect(readFileSync(join(dir, svg), 'utf8')).toMatch(/^<svg [\s\S]*<\/svg>\n$/);
  // Every figure has its PNG copy beside it.
  for (const svg of svgs) expect(files, svg).toContain(svg.replace(/\.svg$/, '.png'));
}

describe('lra analyze on tiny runs', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  it('fnet (spectral): flat DFT filter, exact Jacobian, the impulse response of the DFT', async () => {
    const tensors = tf.memory().numTensors;
    const { analysis, dir } = await analyse(await tinyRun('fnet'));
    expect(tf.memory().numTensors).toBe(tensors);
    expect(analysis.batchSize).toBe(16);
    expect(analysis.examples).toBe(32);
    expect(analysis.accuracy).toBeGreaterThanOrEqual(0);
    expect(analysis.testAccuracy).not.toBeNull();
    for (const layer of analysis.layers) {
      expect(layer.inputLength).toBe(25);
      expect(layer.filters[0]!.magnitude[0]!.every((m) => m === 1)).toBe(true);
      const response = layer.linearResponse!;
      expect(response.method).toBe('exact');
      // Output i responds to input j with the DFT's real part, J[i, d, c] = cos(2 pi (i j / N + d c / D)).
      // Summed over channel pairs, ||J[i]||_F^2 = D^2 / 2 + D cos(4 pi i j / N), so every response
      // size ||J[i]||_F / sqrt(D), and any average of them, lies in [sqrt(D/2 - 1), sqrt(D/2 + 1)].
      const sizes = response.byOffset!.magnitude.filter(Number.isFinite);
      expect(sizes.length).toBeGreaterThan(10);
      for (const s of sizes) {
        expect(s).toBeGreaterThan(Math.sqrt(3) - 1e-3);
        expect(s).toBeLessThan(Math.sqrt(5) + 1e-3);
      }
    }
    checkFiles(dir, analysis, ['layer0-filter0.svg']);
  });

  it('s4d (state space): two-sided impulse responses per channel and their frequency responses', async () => {
    const { analysis, dir } = await analyse(await tinyRun('s4d', { dState: 4 }));
    const h = analysis.layers[0]!.impulseResponses[0]!;
    expect(h.channels).toBe(8);
    expect(h.firstOffset).toBe(-24);
    expect(h.values[0]).toHaveLength(49);
    // The plotted response at frequency 0 is the sum of the taps.
    const dc = h.values[3]!.reduce((s, v) => s + v, 0);
    expect(h.frequency.magnitude[3]![0]).toBeCloseTo(Math.abs(dc), 4);
    expect(['exact', 'finite-difference']).toContain(analysis.layers[0]!.linearResponse!.method);
    checkFiles(dir, analysis, ['layer0-impulse0.svg', 'layer0-impulse0-frequency.svg', 'layer1-impulse0.svg']);
  });

  it("local (attention): each head's mean distance is bounded by its window", async () => {
    const { analysis, dir } = await analyse(await tinyRun('local', { window: WINDOW }));
    for (const layer of analysis.layers) {
      const attention = layer.attention!;
      expect(attention.rows).toBeGreaterThan(32);
      for (const head of attention.heads) {
        expect(head.meanDistance).toBeGreaterThan(0);
        expect(head.meanDistance).toBeLessThanOrEqual(localRadius(WINDOW));
        const outside = head.offsetProfile.values.filter((_, m) => Math.abs(head.offsetProfile.firstOffset + m) > localRadius(WINDOW));
        expect(Math.max(...outside)).toBe(0);
      }
    }
    checkFiles(dir, analysis, ['layer0-attention-distance.svg', 'layer0-attention-spectrum.svg', 'layer1-attention-pattern.svg']);
  });

  it('refuses a directory that is not a run, and keeps batches small for long sequences', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'lra-analyze-empty-'));
    await expect(analyzeRun({ run: empty, split: 'test', batches: 1, log: silentLogger() })).rejects.toThrow(/no config.json here: not a run directory/);
    expect(existsSync(join(empty, 'analysis'))).toBe(false);
    expect(analysisBatchSize(100, 65)).toBe(100);
    expect(analysisBatchSize(32, 2001)).toBe(4);
    expect(analysisBatchSize(32, 5000)).toBe(1);
  });
});
