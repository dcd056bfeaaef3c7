import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { renderBarChart } from '../../src/report/bar-chart.js';
import { renderLineChart } from '../../src/report/svg-chart.js';
import { heatRgb, renderHeatmap } from '../../src/report/svg-heatmap.js';
import { PNG_SCALE, pngPathOf, pngUnavailableReason, svgToPng, writeSvgAndPng } from '../../src/report/svg-png.js';
import { countColour, decodePng, PNG_SIGNATURE, pixelAt } from './png-decode.js';

const svgSize = (svg: string): [number, number] => {
  const m = /<svg [^>]*width="(\d+)" height="(\d+)"/.exec(svg)!;
  return [Number(m[1]), Number(m[2])];
};

describe('PNG copies of the SVG charts', () => {
  it('loads resvg on this platform', () => {
    expect(pngUnavailableReason()).toBeNull();
  });

  it('renders a known SVG at twice its size, pixel for pixel where expected', () => {
    const svg =
      '<svg xmlns="http://www.w3.org/2000/svg" width="100" height="50" viewBox="0 0 100 50">' +
      '<rect x="10" y="10" width="30" height="20" fill="#ff0000"/><rect x="60" y="5" width="20" height="40" fill="#1f77b4"/></svg>';
    const png = svgToPng(svg);
    expect([...png.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
    const image = decodePng(png);
    expect(image.chunkTypes[0]).toBe('IHDR');
    expect(image.chunkTypes.at(-1)).toBe('IEND');
    expect([image.width, image.height]).toEqual([100 * PNG_SCALE, 50 * PNG_SCALE]);
    expect(pixelAt(image, 2 * 25, 2 * 20)).toEqual([255, 0, 0]);
    expect(pixelAt(image, 2 * 70, 2 * 25)).toEqual([0x1f, 0x77, 0xb4]);
    // No background in the SVG: the PNG is on white, not transparent black.
    expect(pixelAt(image, 2 * 50, 2 * 45)).toEqual([255, 255, 255]);
  });

  it('draws a line chart\'s series, axes and text, not a blank page', () => {
    const svg = renderLineChart({
      title: 'loss',
      xLabel: 'step',
      yLabel: 'loss',
      series: [{ name: 'train', points: [[0, 2], [50, 1.2], [100, 0.7]], color: '#d62728' }],
    });
    const image = decodePng(svgToPng(svg));
    expect([image.width, image.height]).toEqual(svgSize(svg).map((v) => v * PNG_SCALE));
    expect(countColour(image, [0xd6, 0x27, 0x28])).toBeGreaterThan(200);
    // Dark pixels: the plot frame, ticks and the glyphs of the labels.
    expect(countColour(image, [0x22, 0x22, 0x22], 40)).toBeGreaterThan(500);
  });

  it('renders a heatmap\'s embedded cells in their colours', () => {
    const svg = renderHeatmap({ title: 'pattern', rowLabel: 'query', columnLabel: 'key', panels: [{ label: 'head 0', size: 2, values: [0, 1, 0.25, 0] }] });
    const image = decodePng(svgToPng(svg));
    // The panel is 220 units square at (30, 56); cell (0, 1) is the maximum, dark blue.
    const cell = (row: number, col: number) => pixelAt(image, PNG_SCALE * (30 + 55 + 110 * col), PNG_SCALE * (56 + 55 + 110 * row));
    expect(cell(0, 1)).toEqual(heatRgb(1));
    expect(cell(0, 0)).toEqual([255, 255, 255]);
    expect(cell(1, 0)).toEqual(heatRgb(0.25));
  });

  it('writes the PNG beside the SVG, same name', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lra-png-'));
    const svg = renderBarChart({ title: 'accuracy', xLabel: '%', bars: [{ label: 'fnet', mean: 40, std: 1, values: [39, 41] }] });
    const written = await writeSvgAndPng(join(dir, 'chart.svg'), svg);
    expect(written).toEqual([join(dir, 'chart.svg'), join(dir, 'chart.png')]);
    expect(readdirSync(dir).sort()).toEqual(['chart.png', 'chart.svg']);
    const image = decodePng(readFileSync(join(dir, 'chart.png')));
    expect([image.width, image.height]).toEqual(svgSize(svg).map((v) => v * PNG_SCALE));
    expect(countColour(image, [0x1f, 0x77, 0xb4], 70)).toBeGreaterThan(1000);
    expect(pngPathOf('plots/loss.svg')).toBe('plots/loss.png');
  });

  it('without resvg, writes the SVGs alone and says once why', () => {
    const repo = resolve(__dirname, '../../../..');
    const built = join(repo, 'packages/trainer/dist/report/svg-png.js');
    if (!existsSync(built)) spawnSync('npx', ['tsc', '-b'], { cwd: repo, stdio: 'inherit' });
    const dir = mkdtempSync(join(tmpdir(), 'lra-png-'));
    // A platform whose binary did not install: loading the package fails as it would there.
    const block = join(dir, 'no-resvg.cjs');
    writeFileSync(block, `const Module = require('node:module');
const load = Module._load;
Module._load = function (request, ...rest) {
  if (request === '@resvg/resvg-js') throw new Error('Cannot find native binding for this platform');
  return load.call(this, request, ...rest);
};
`);
    const script = `const { writeSvgAndPng } = await import(${JSON.stringify(pathToFileURL(built).href)});
const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>';
console.log(JSON.stringify([await writeSvgAndPng(${JSON.stringify(join(dir, 'a.svg'))}, svg), await writeSvgAndPng(${JSON.stringify(join(dir, 'b.svg'))}, svg)]));`;
    const r = spawnSync(process.execPath, ['--require', block, '--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([[join(dir, 'a.svg')], [join(dir, 'b.svg')]]);
    expect(r.stderr.trim()).toBe('warning: SVG charts are written without PNG copies: @resvg/resvg-js did not load (Cannot find native binding for this platform)');
    expect(readdirSync(dir).sort()).toEqual(['a.svg', 'b.svg', 'no-resvg.cjs']);
  });
});
