/**
 * A small SVG heatmap renderer: one or more square panels of cells (values in [0, max]) side by
 * side under a title, with a shared colour scale. For averaged attention patterns: rows are
 * queries, columns keys.
 */
import { encodePng } from './png-encode.js';
import { escapeXml } from './svg-chart.js';

export interface HeatmapPanel {
  label: string;
  /** Cells per side. */
  size: number;
  /** [size * size], row-major. */
  values: readonly number[];
}

export interface HeatmapSpec {
  title: string;
  panels: readonly HeatmapPanel[];
  /** What a panel's rows and columns are. */
  rowLabel: string;
  columnLabel: string;
  /** Panel side in SVG units (default 220). */
  panelSize?: number;
}

/** White to dark blue, by the square root of the value's share of the maximum (small weights stay visible). */
export function heatRgb(share: number): [number, number, number] {
  const t = Math.sqrt(Math.min(1, Math.max(0, Number.isFinite(share) ? share : 0)));
  const mix = (from: number, to: number) => Math.round(from + (to - from) * t);
  return [mix(255, 8), mix(255, 48), mix(255, 107)];
}

/** A panel as a PNG, `scale` x `scale` pixels per cell, coloured against `max`. */
export function panelPng(panel: HeatmapPanel, max: number, scale = 1): Buffer {
  const side = panel.size * scale;
  const rgb = new Uint8Array(side * side * 3);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const v = panel.values[Math.floor(y / scale) * panel.size + Math.floor(x / scale)]!;
      rgb.set(heatRgb(v / max), (y * side + x) * 3);
    }
  }
  return encodePng(side, side, rgb);
}

/** The largest finite value of the panels (the top of the shared colour scale). */
export function heatmapMax(panels: readonly HeatmapPanel[]): number {
  return Math.max(1e-12, ...panels.flatMap((p) => p.values.filter(Number.isFinite)));
}

export function renderHeatmap(spec: HeatmapSpec): string {
  const side = spec.panelSize ?? 220;
  const gap = 28;
  const left = 30;
  const top = 56;
  const width = left + spec.panels.length * (side + gap) + 10;
  const height = top + side + 44;
  const max = heatmapMax(spec.panels);
  const fmt = (v: number) => (Math.round(v * 100) / 100).toString();
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<title>${escapeXml(spec.title)}</title>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${fmt(width / 2)}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(spec.title)}</text>`,
    `<text x="${fmt(width / 2)}" y="40" text-anchor="middle" fill="#555555">colour: weight, white 0 to dark blue ${escapeXml(max.toPrecision(3))} (square-root scale)</text>`,
  ];
  spec.panels.forEach((panel, p) => {
    const x0 = left + p * (side + gap);
    out.push(`<g class="panel" data-panel="${escapeXml(panel.label)}">`);
    // The cells as one embedded PNG (a pixel each), scaled up without smoothing: a few kB
    // where thousands of <rect> elements would take a megabyte.
    const png = panelPng(panel, max).toString('base64');
    out.push(
      `<image x="${x0}" y="${top}" width="${side}" height="${side}" preserveAspectRatio="none" style="image-rendering:pixelated" href="data:image/png;base64,${png}"/>`,
    );
    out.push(`<rect x="${x0}" y="${top}" width="${side}" height="${side}" fill="none" stroke="#333333"/>`);
    out.push(`<text x="${fmt(x0 + side / 2)}" y="${top + side + 18}" text-anchor="middle">${escapeXml(panel.label)}</text>`);
    out.push('</g>');
  });
  out.push(`<text x="${fmt(width / 2)}" y="${height - 6}" text-anchor="middle" fill="#555555">${escapeXml(`rows: ${spec.rowLabel}; columns: ${spec.columnLabel}`)}</text>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
