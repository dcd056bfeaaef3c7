/**
 * A horizontal bar chart in SVG: one bar per item (its mean), a whisker of ± one standard
 * deviation, a dot per seed, and an optional vertical reference line. Horizontal, so forty
 * variant names stay readable on the left.
 */
import { escapeXml, formatTicks, niceTicks } from './svg-chart.js';

export interface Bar {
  label: string;
  /** null draws no bar (an item without results), only its label. */
  mean: number | null;
  std: number | null;
  values: readonly number[];
  color?: string;
}

export interface BarChartSpec {
  title: string;
  xLabel: string;
  bars: readonly Bar[];
  reference?: { label: string; value: number };
  /** Fixed value range; by default from 0 to the largest value, rounded out to a tick. */
  domain?: readonly [number, number];
  width?: number;
}

const FONT_SIZE = 12;
/** Average glyph advance of a sans-serif face at FONT_SIZE: enough to lay out the labels. */
const CHAR_WIDTH = 6.8;
const ROW = 20;
const BAR_COLOR = '#1f77b4';

const fmt = (v: number): string => (Math.round(v * 100) / 100).toString();

export function renderBarChart(spec: BarChartSpec): string {
  const width = spec.width ?? 820;
  const finite = spec.bars.flatMap((b) => [
    ...(b.mean !== null ? [b.mean + (b.std ?? 0)] : []),
    ...b.values.filter(Number.isFinite),
  ]);
  if (spec.reference && Number.isFinite(spec.reference.value)) finite.push(spec.reference.value);
  const [lo, hi] = spec.domain ?? [0, Math.max(1, ...finite)];
  const { ticks, step } = niceTicks(lo, hi, 6);
  const x0 = spec.domain ? lo : ticks[0]!;
  const x1 = spec.domain ? hi : ticks[ticks.length - 1]!;
  const shown = ticks.filter((t) => t >= x0 - step * 1e-6 && t <= x1 + step * 1e-6);
  const labels = formatTicks(shown, step);

  const labelWidth = Math.ceil(Math.max(0, ...spec.bars.map((b) => b.label.length)) * CHAR_WIDTH);
  const left = 16 + labelWidth + 10;
  const right = 24;
  const top = 34 + (spec.reference ? 18 : 0) + 8;
  const plotHeight = Math.max(1, spec.bars.length) * ROW;
  const height = top + plotHeight + 50;
  const plotWidth = width - left - right;
  const px = (v: number): number => left + ((Math.min(Math.max(v, x0), x1) - x0) / (x1 - x0)) * plotWidth;

  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="${FONT_SIZE}">`,
    `<title>${escapeXml(spec.title)}</title>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${fmt(width / 2)}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(spec.title)}</text>`,
    '<g class="grid" stroke="#e4e4e4" stroke-width="1">',
    ...shown.map((t) => `<line x1="${fmt(px(t))}" y1="${top}" x2="${fmt(px(t))}" y2="${top + plotHeight}"/>`),
    '</g>',
    `<rect class="plot-area" x="${left}" y="${top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#333333" stroke-width="1"/>`,
    '<g class="x-ticks" text-anchor="middle" fill="#333333">',
    ...shown.map((t, i) => `<text x="${fmt(px(t))}" y="${top + plotHeight + 17}">${escapeXml(labels[i]!)}</text>`),
    '</g>',
    `<text class="x-label" x="${fmt(left + plotWidth / 2)}" y="${height - 12}" text-anchor="middle">${escapeXml(spec.xLabel)}</text>`,
  ];

  out.push('<g class="bars">');
  spec.bars.forEach((b, i) => {
    const y = top + i * ROW;
    const mid = y + ROW / 2;
    const color = b.color ?? BAR_COLOR;
    out.push(`<g class="bar" data-label="${escapeXml(b.label)}"${b.mean !== null ? ` data-mean="${b.mean}"` : ''}${b.std !== null ? ` data-std="${b.std}"` : ''}>`);
    out.push(`<text class="label" x="${left - 6}" y="${fmt(mid + 4)}" text-anchor="end" fill="#222222">${escapeXml(b.label)}</text>`);
    if (b.mean !== null && Number.isFinite(b.mean)) {
      out.push(`<rect x="${left}" y="${fmt(y + 3)}" width="${fmt(px(b.mean) - left)}" height="${ROW - 6}" fill="${color}" fill-opacity="0.75"/>`);
      if (b.std !== null && Number.isFinite(b.std)) {
        const a = px(b.mean - b.std);
        const c = px(b.mean + b.std);
        out.push(
          `<path class="whisker" d="M${fmt(a)},${fmt(mid)} H${fmt(c)} M${fmt(a)},${fmt(mid - 4)} V${fmt(mid + 4)} M${fmt(c)},${fmt(mid - 4)} V${fmt(mid + 4)}" stroke="#222222" stroke-width="1.2" fill="none"/>`,
        );
      }
    } else {
      out.push(`<text x="${left + 6}" y="${fmt(mid + 4)}" fill="#888888">no results</text>`);
    }
    for (const v of b.values) if (Number.isFinite(v)) out.push(`<circle class="seed" cx="${fmt(px(v))}" cy="${fmt(mid)}" r="2.5" fill="#222222"/>`);
    out.push('</g>');
  });
  out.push('</g>');

  if (spec.reference && Number.isFinite(spec.reference.value)) {
    const rx = px(spec.reference.value);
    out.push(
      `<line class="reference" x1="${fmt(rx)}" y1="${top}" x2="${fmt(rx)}" y2="${top + plotHeight}" stroke="#d62728" stroke-width="1.2" stroke-dasharray="6 4"/>`,
      `<g class="legend"><line x1="${left}" y1="${38}" x2="${left + 22}" y2="${38}" stroke="#d62728" stroke-width="2" stroke-dasharray="5 3"/>` +
        `<text x="${left + 28}" y="${42}" fill="#222222">${escapeXml(spec.reference.label)}</text></g>`,
    );
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
