import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { crc32, encodePng } from '../../src/report/png-encode.js';
import { heatRgb, panelPng, renderHeatmap } from '../../src/report/svg-heatmap.js';

/** The chunks of a PNG file: type and data, each CRC checked. */
function chunks(png: Buffer): Array<{ type: string; data: Buffer }> {
  expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const out: Array<{ type: string; data: Buffer }> = [];
  for (let at = 8; at < png.length; ) {
    const length = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    const data = png.subarray(at + 8, at + 8 + length);
    expect(png.readUInt32BE(at + 8 + length)).toBe(crc32(png.subarray(at + 4, at + 8 + length)));
    out.push({ type, data });
    at += 12 + length;
  }
  return out;
}

describe('heatmaps and PNG', () => {
  it('crc32 gives the standard check value', () => {
    expect(crc32(Buffer.from('123456789', 'latin1'))).toBe(0xcbf43926);
  });

  it('encodes RGB pixels that decode back row by row', () => {
    const rgb = Uint8Array.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
    const parts = chunks(encodePng(3, 2, rgb));
    expect(parts.map((c) => c.type)).toEqual(['IHDR', 'IDAT', 'IEND']);
    const header = parts[0]!.data;
    expect([header.readUInt32BE(0), header.readUInt32BE(4), header[8], header[9]]).toEqual([3, 2, 8, 2]);
    const raw = inflateSync(parts[1]!.data);
    expect([...raw]).toEqual([0, ...rgb.subarray(0, 9), 0, ...rgb.subarray(9)]);
    expect(() => encodePng(2, 2, rgb)).toThrow(/18 bytes are not 2 x 2 RGB pixels/);
  });

  it('colours a panel from white (0) to dark blue (the maximum), scaled up per cell', () => {
    expect(heatRgb(0)).toEqual([255, 255, 255]);
    expect(heatRgb(1)).toEqual([8, 48, 107]);
    const raw = inflateSync(chunks(panelPng({ label: 'h', size: 2, values: [0, 1, 0.25, 0] }, 1, 2))[1]!.data);
    // 4 x 4 pixels: row 0 is cells (0, 0) twice then (0, 1) twice.
    expect([...raw.subarray(1, 13)]).toEqual([255, 255, 255, 255, 255, 255, 8, 48, 107, 8, 48, 107]);
    const svg = renderHeatmap({ title: 'pattern', rowLabel: 'query', columnLabel: 'key', panels: [{ label: 'head 0', size: 2, values: [0, 1, 0.25, 0] }] });
    expect(svg).toMatch(/<image [^>]*href="data:image\/png;base64,[A-Za-z0-9+/=]+"/);
    expect(svg).toContain('rows: query; columns: key');
    expect(svg.match(/<g[ >]/g)).toHaveLength(svg.match(/<\/g>/g)!.length);
    expect(svg).toContain('<g class="panel" data-panel="head 0">');
  });
});
