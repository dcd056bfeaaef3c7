/**
 * A small SVG line-chart renderer: axes with round-number ticks, a grid, labels, a legend,
 * several series (lines or single markers) and horizontal reference lines. SVG needs no
 * rendering library, so every run can carry its plots wherever its report.json goes.
 */

export type Point = readonly [x: number, y: number];

export interface ChartSeries {
  name: string;
  points: readonly Point[];
  /** 'line' joins the points (a lone point still gets a marker); 'markers' draws points only. */
  mode?: 'line' | 'markers';
  dashed?: boolean;
  color?: string;
}

/** A horizontal line across the plot, e.g. the majority-class rate or a published score. */
export interface ChartReference {
  label: string;
  y: number;
  color?: string;
}

export interface LineChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly ChartSeries[];
  references?: readonly ChartReference[];
  /** Fixed axis ranges (accuracy reads best on [0, 1]); by default the data's, rounded out to ticks. */
  xDomain?: readonly [number, number];
  yDomain?: readonly [number, number];
  /** Extend the data's y range to 0 (for quantities whose size matters, like a learning rate). */
  includeZero?: boolean;
  width?: number;
  height?: number;
}

/** The rectangle the data is drawn in, in SVG user units. */
export interface PlotArea {
  left: number;
  top: number;
  width: number;
  height: number;
}

const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
const FONT_SIZE = 12;
/** Average glyph advance of a sans-serif face at FONT_SIZE: enough to lay out legends and labels. */
const CHAR_WIDTH = 6.8;

/** Round-number ticks (1, 2 or 5 times a power of ten) covering [min, max] in about `count` steps. */
export function niceTicks(min: number, max: number, count = 6): { ticks: number[]; step: number } {
  if (!(max > min)) throw new Error(`niceTicks needs max > min, got [${min}, ${max}]`);
  const raw = (max - min) / Math.max(1, count);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const residual = raw / magnitude;
  const step = (residual <= 1 ? 1 : residual <= 2 ? 2 : residual <= 5 ? 5 : 10) * magnitude;
  const first = Math.floor(min / step + 1e-9);
  const last = Math.ceil(max / step - 1e-9);
  const ticks: number[] = [];
  // Multiplying integers by the step (rather than adding steps) keeps 0.1 * 3 from drifting.
  for (let i = first; i <= last; i++) ticks.push(roundTo(i * step, step));
  return { ticks, step };
}

function roundTo(v: number, step: number): number {
  const decimals = Math.max(0, -Math.floor(Math.log10(step)) + 1);
  return Number(v.toFixed(Math.min(20, decimals)));
}

/**
 * Labels for one axis's ticks, all in one style and with just enough digits to tell neighbours
 * apart: plain decimals, "20k" for round thousands, or scientific notation for tiny or huge
 * values (learning rates) so no label runs to eight characters of zeros.
 */
export function formatTicks(ticks: readonly number[], step: number): string[] {
  const maxAbs = Math.max(...ticks.map(Math.abs));
  const stepExp = Math.floor(Math.log10(step) + 1e-9);
  if (maxAbs > 0 && (maxAbs < 1e-2 || maxAbs >= 1e6)) {
    const digits = Math.min(6, Math.max(0, Math.floor(Math.log10(maxAbs) + 1e-9) - stepExp));
    return ticks.map((v) => (v === 0 ? '0' : v.toExponential(digits).replace('e+', 'e')));
  }
  if (step >= 1000 && ticks.every((v) => Number.isInteger(v / 1000))) return ticks.map((v) => (v === 0 ? '0' : `${v / 1000}k`));
  const decimals = Math.max(0, -stepExp);
  return ticks.map((v) => v.toFixed(decimals));
}

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

const fmt = (v: number): string => (Math.round(v * 100) / 100).toString();

/** A domain that contains `values`, widened when they are all equal so the axis has a length. */
function dataDomain(values: number[]): [number, number] {
  if (values.length === 0) return [0, 1];
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (lo === hi) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  return [lo, hi];
}

function axis(fixed: readonly [number, number] | undefined, values: number[], count: number): { domain: [number, number]; ticks: number[]; step: number } {
  if (fixed) {
    const [lo, hi] = fixed;
    const { ticks, step } = niceTicks(lo, hi, count);
    return { domain: [lo, hi], ticks: ticks.filter((t) => t >= lo - step * 1e-6 && t <= hi + step * 1e-6), step };
  }
  const [lo, hi] = dataDomain(values);
  const { ticks, step } = niceTicks(lo, hi, count);
  return { domain: [ticks[0]!, ticks[ticks.length - 1]!], ticks, step };
}

/** Splits a series at non-finite values, so a NaN loss leaves a gap instead of a false line. */
function finiteRuns(points: readonly Point[]): Point[][] {
  const runs: Point[][] = [];
  let current: Point[] = [];
  for (const p of points) {
    if (Number.isFinite(p[0]) && Number.isFinite(p[1])) current.push(p);
    else if (current.length > 0) {
      runs.push(current);
      current = [];
    }
  }
  if (current.length > 0) runs.push(current);
  return runs;
}

interface LegendItem {
  label: string;
  color: string;
  dashed: boolean;
  marker: boolean;
  line: boolean;
}

/** Lays legend items left to right, wrapping to new rows; returns positions and the rows used. */
function layoutLegend(items: LegendItem[], left: number, maxWidth: number): { placed: Array<LegendItem & { x: number; row: number }>; rows: number } {
  const placed: Array<LegendItem & { x: number; row: number }> = [];
  let x = left;
  let row = 0;
  for (const item of items) {
    const w = 28 + item.label.length * CHAR_WIDTH + 18;
    if (x > left && x + w > left + maxWidth) {
      row += 1;
      x = left;
    }
    placed.push({ ...item, x, row });
    x += w;
  }
  return { placed, rows: items.length === 0 ? 0 : row + 1 };
}

export function renderLineChart(spec: LineChartSpec): string {
  const width = spec.width ?? 720;
  const height = spec.height ?? 420;
  const references = spec.references ?? [];
  const series = spec.series.map((s, i) => ({ ...s, color: s.color ?? PALETTE[i % PALETTE.length]!, mode: s.mode ?? 'line' }));

  const finitePoints = series.flatMap((s) => s.points.filter((p) => Number.isFinite(p[0]) && Number.isFinite(p[1])));
  const x = axis(spec.xDomain, finitePoints.map((p) => p[0]), 8);
  const y = axis(
    spec.yDomain,
    [...finitePoints.map((p) => p[1]), ...references.filter((r) => Number.isFinite(r.y)).map((r) => r.y), ...(spec.includeZero ? [0] : [])],
    6,
  );

  const legendItems: LegendItem[] = [
    ...series.map((s) => ({ label: s.name, color: s.color, dashed: s.dashed ?? false, marker: s.mode === 'markers', line: s.mode === 'line' })),
    ...references.map((r) => ({ label: r.label, color: r.color ?? '#555555', dashed: true, marker: false, line: true })),
  ];
  const xTickLabels = formatTicks(x.ticks, x.step);
  const yTickLabels = formatTicks(y.ticks, y.step);
  const yLabelWidth = Math.max(...yTickLabels.map((t) => t.length)) * CHAR_WIDTH;
  const left = Math.round(30 + yLabelWidth + 10);
  const right = 24;
  const legend = layoutLegend(legendItems, left, width - left - right);
  const top = 34 + legend.rows * 18 + 8;
  const bottom = 50;
  const area: PlotArea = { left, top, width: width - left - right, height: height - top - bottom };

  const [x0, x1] = x.domain;
  const [y0, y1] = y.domain;
  const px = (v: number) => area.left + ((v - x0) / (x1 - x0)) * area.width;
  const py = (v: number) => area.top + area.height - ((v - y0) / (y1 - y0)) * area.height;
  const inside = (p: Point) => p[0] >= x0 && p[0] <= x1 && p[1] >= y0 && p[1] <= y1;

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="${FONT_SIZE}">`,
    `<title>${escapeXml(spec.title)}</title>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${fmt(width / 2)}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(spec.title)}</text>`,
  );

  // Grid and ticks.
  out.push('<g class="grid" stroke="#e4e4e4" stroke-width="1">');
  for (const t of x.ticks) out.push(`<line x1="${fmt(px(t))}" y1="${area.top}" x2="${fmt(px(t))}" y2="${area.top + area.height}"/>`);
  for (const t of y.ticks) out.push(`<line x1="${area.left}" y1="${fmt(py(t))}" x2="${area.left + area.width}" y2="${fmt(py(t))}"/>`);
  out.push('</g>');
  out.push(`<rect class="plot-area" x="${area.left}" y="${area.top}" width="${area.width}" height="${area.height}" fill="none" stroke="#333333" stroke-width="1"/>`);
  out.push('<g class="x-ticks" text-anchor="middle" fill="#333333">');
  x.ticks.forEach((t, i) => out.push(`<text x="${fmt(px(t))}" y="${area.top + area.height + 17}">${escapeXml(xTickLabels[i]!)}</text>`));
  out.push('</g>');
  out.push('<g class="y-ticks" text-anchor="end" fill="#333333">');
  y.ticks.forEach((t, i) => out.push(`<text x="${area.left - 6}" y="${fmt(py(t) + 4)}">${escapeXml(yTickLabels[i]!)}</text>`));
  out.push('</g>');
  out.push(`<text class="x-label" x="${fmt(area.left + area.width / 2)}" y="${height - 12}" text-anchor="middle">${escapeXml(spec.xLabel)}</text>`);
  const yLabelX = 16;
  const yLabelY = area.top + area.height / 2;
  out.push(`<text class="y-label" x="${yLabelX}" y="${fmt(yLabelY)}" text-anchor="middle" transform="rotate(-90 ${yLabelX} ${fmt(yLabelY)})">${escapeXml(spec.yLabel)}</text>`);

  // Lines are clipped to the plot area, so a fixed domain never lets one spill over the axes;
  // markers are drawn only for points inside the domain and unclipped, so one on an edge stays whole.
  out.push(`<clipPath id="plot-clip"><rect x="${area.left}" y="${area.top}" width="${area.width}" height="${area.height}"/></clipPath>`);
  out.push('<g class="data">');
  for (const r of references) {
    if (!Number.isFinite(r.y) || r.y < y0 || r.y > y1) continue;
    out.push(
      `<line class="reference" clip-path="url(#plot-clip)" data-label="${escapeXml(r.label)}" x1="${area.left}" y1="${fmt(py(r.y))}" x2="${area.left + area.width}" y2="${fmt(py(r.y))}" stroke="${r.color ?? '#555555'}" stroke-width="1.2" stroke-dasharray="6 4"/>`,
    );
  }
  for (const s of series) {
    out.push(`<g class="series" data-series="${escapeXml(s.name)}" stroke="${s.color}" fill="${s.color}">`);
    for (const run of finiteRuns(s.points)) {
      if (s.mode === 'line' && run.length > 1) {
        const pts = run.map((p) => `${fmt(px(p[0]))},${fmt(py(p[1]))}`).join(' ');
        out.push(`<polyline points="${pts}" fill="none" stroke-width="1.8" stroke-linejoin="round" clip-path="url(#plot-clip)"${s.dashed ? ' stroke-dasharray="5 3"' : ''}/>`);
      }
      if (s.mode === 'markers' || run.length === 1 || run.length <= 12) {
        const r = s.mode === 'markers' ? 4.5 : 2.5;
        for (const p of run) if (inside(p)) out.push(`<circle cx="${fmt(px(p[0]))}" cy="${fmt(py(p[1]))}" r="${r}" stroke="none"/>`);
      }
    }
    out.push('</g>');
  }
  out.push('</g>');
  if (finitePoints.length === 0)
    out.push(`<text x="${fmt(area.left + area.width / 2)}" y="${fmt(area.top + area.height / 2)}" text-anchor="middle" fill="#888888">no data</text>`);

  // Legend, above the plot area.
  out.push('<g class="legend">');
  for (const item of legend.placed) {
    const ly = 38 + item.row * 18;
    const dash = item.dashed ? ' stroke-dasharray="5 3"' : '';
    if (item.line) out.push(`<line x1="${fmt(item.x)}" y1="${ly}" x2="${fmt(item.x + 22)}" y2="${ly}" stroke="${item.color}" stroke-width="2"${dash}/>`);
    if (item.marker) out.push(`<circle cx="${fmt(item.x + 11)}" cy="${ly}" r="4.5" fill="${item.color}"/>`);
    out.push(`<text x="${fmt(item.x + 28)}" y="${ly + 4}" fill="#222222">${escapeXml(item.label)}</text>`);
  }
  out.push('</g>');
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
