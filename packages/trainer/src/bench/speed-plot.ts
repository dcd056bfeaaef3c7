// lra-speed.svg: train-step time against length on log-log axes, one line per mixer, with dashed
// N log N and N^2 guides, so a mixer's slope reads directly as its growth rate.
import { escapeXml } from '../report/svg-chart.js';
import type { SpeedTable } from './speed-table.js';

const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#bcbd22', '#7f7f7f', '#393b79', '#ad494a'];
const WIDTH = 760;
const HEIGHT = 480;
const fmt = (v: number): string => (Math.round(v * 100) / 100).toString();

/** Tick values 1, 2, 5 x 10^k covering [lo, hi] (positive). */
export function logTicks(lo: number, hi: number): number[] {
  const ticks: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) ticks.push(v);
    }
  }
  return ticks;
}

const lengthLabel = (n: number): string => (n % 1024 === 0 ? `${n / 1024}K` : String(n));
const msLabel = (v: number): string => (v >= 1000 ? `${v / 1000} s` : `${v} ms`);

export interface GuideLine {
  label: string;
  /** Cost at length n, up to a constant. */
  shape: (n: number) => number;
  /** The point it passes through. */
  anchor: { length: number; ms: number };
}

export function speedPlotSvg(table: SpeedTable, title = 'Train-step time against length (log-log)'): string {
  const series = table.mixers
    .map((mixer, i) => ({
      mixer,
      color: PALETTE[i % PALETTE.length]!,
      points: table.cells.filter((c) => c.mixer === mixer && c.stepMs !== null).map((c) => [c.length, c.stepMs!] as const),
    }))
    .filter((s) => s.points.length > 0);
  const all = series.flatMap((s) => s.points);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    `<text x="${WIDTH / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
  ];
  if (all.length === 0) {
    out.push(`<text x="${WIDTH / 2}" y="${HEIGHT / 2}" text-anchor="middle" fill="#888888">no data</text>`, '</svg>');
    return `${out.join('\n')}\n`;
  }
  const lengths = table.lengths;
  const xLo = Math.min(...lengths) / 1.15;
  const xHi = Math.max(...lengths) * 1.15;
  const yLo = Math.min(...all.map((p) => p[1])) / 1.5;
  const yHi = Math.max(...all.map((p) => p[1])) * 1.5;
  const area = { left: 70, top: 40, width: WIDTH - 70 - 190, height: HEIGHT - 40 - 50 };
  const px = (n: number) => area.left + ((Math.log(n) - Math.log(xLo)) / (Math.log(xHi) - Math.log(xLo))) * area.width;
  const py = (v: number) => area.top + area.height - ((Math.log(v) - Math.log(yLo)) / (Math.log(yHi) - Math.log(yLo))) * area.height;

  out.push('<g class="grid" stroke="#e4e4e4" stroke-width="1">');
  for (const n of lengths) out.push(`<line x1="${fmt(px(n))}" y1="${area.top}" x2="${fmt(px(n))}" y2="${area.top + area.height}"/>`);
  const yTicks = logTicks(yLo, yHi);
  for (const t of yTicks) out.push(`<line x1="${area.left}" y1="${fmt(py(t))}" x2="${area.left + area.width}" y2="${fmt(py(t))}"/>`);
  out.push('</g>');
  out.push(`<rect x="${area.left}" y="${area.top}" width="${area.width}" height="${area.height}" fill="none" stroke="#333333"/>`);
  out.push('<g class="x-ticks" text-anchor="middle" fill="#333333">');
  for (const n of lengths) out.push(`<text x="${fmt(px(n))}" y="${area.top + area.height + 17}">${lengthLabel(n)}</text>`);
  out.push('</g><g class="y-ticks" text-anchor="end" fill="#333333">');
  for (const t of yTicks) out.push(`<text x="${area.left - 6}" y="${fmt(py(t) + 4)}">${msLabel(t)}</text>`);
  out.push('</g>');
  out.push(`<text x="${fmt(area.left + area.width / 2)}" y="${HEIGHT - 12}" text-anchor="middle">sequence length N</text>`);
  out.push(`<text x="16" y="${fmt(area.top + area.height / 2)}" text-anchor="middle" transform="rotate(-90 16 ${fmt(area.top + area.height / 2)})">train step (median)</text>`);
  out.push(`<clipPath id="speed-clip"><rect x="${area.left}" y="${area.top}" width="${area.width}" height="${area.height}"/></clipPath>`);

  // Guides: N^2 through the baseline's shortest measured step, N log N through the fastest step at the shortest length.
  const shortest = Math.min(...all.map((p) => p[0]));
  const baselineFirst = series.find((s) => s.mixer === table.baseline)?.points[0] ?? all[0]!;
  const fastestFirst = Math.min(...all.filter((p) => p[0] === shortest).map((p) => p[1]));
  const guides: GuideLine[] = [
    { label: 'N log N guide', shape: (n) => n * Math.log(n), anchor: { length: shortest, ms: fastestFirst } },
    { label: 'N^2 guide', shape: (n) => n * n, anchor: { length: baselineFirst[0], ms: baselineFirst[1] } },
  ];
  const guideLegend: Array<{ label: string; color: string; dashed: boolean }> = [];
  out.push('<g class="guides">');
  guides.forEach((g, i) => {
    const color = i === 0 ? '#555555' : '#aaaaaa';
    const at = (n: number) => (g.anchor.ms * g.shape(n)) / g.shape(g.anchor.length);
    const steps = 24;
    const pts: string[] = [];
    for (let k = 0; k <= steps; k++) {
      const n = xLo * (xHi / xLo) ** (k / steps);
      pts.push(`${fmt(px(n))},${fmt(py(at(n)))}`);
    }
    out.push(`<polyline class="guide" data-guide="${escapeXml(g.label)}" points="${pts.join(' ')}" fill="none" stroke="${color}" stroke-width="1.2" stroke-dasharray="6 4" clip-path="url(#speed-clip)"/>`);
    guideLegend.push({ label: g.label, color, dashed: true });
  });
  out.push('</g><g class="data">');
  for (const s of series) {
    out.push(`<g class="series" data-series="${escapeXml(s.mixer)}" stroke="${s.color}" fill="${s.color}">`);
    if (s.points.length > 1) out.push(`<polyline points="${s.points.map((p) => `${fmt(px(p[0]))},${fmt(py(p[1]))}`).join(' ')}" fill="none" stroke-width="1.8"/>`);
    for (const p of s.points) out.push(`<circle cx="${fmt(px(p[0]))}" cy="${fmt(py(p[1]))}" r="3" stroke="none"/>`);
    out.push('</g>');
  }
  out.push('</g><g class="legend">');
  // Mixers first, in table order, then the guides.
  const ordered = [...series.map((s) => ({ label: s.mixer, color: s.color, dashed: false })), ...guideLegend];
  ordered.forEach((item, i) => {
    const x = area.left + area.width + 16;
    const y = area.top + 10 + i * 18;
    out.push(`<line x1="${x}" y1="${y}" x2="${x + 22}" y2="${y}" stroke="${item.color}" stroke-width="2"${item.dashed ? ' stroke-dasharray="5 3"' : ''}/>`);
    out.push(`<text x="${x + 28}" y="${y + 4}" fill="#222222">${escapeXml(item.label)}</text>`);
  });
  out.push('</g>', '</svg>');
  return `${out.join('\n')}\n`;
}
