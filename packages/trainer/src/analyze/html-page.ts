// The analysis page: one self-contained HTML file (the SVGs inline, no scripts, no external
// assets), headed by the run, its task, mixer and accuracy, the figures grouped by section.
import { escapeXml } from '../report/svg-chart.js';
import type { RunAnalysis } from './analyze-run.js';
import type { Figure } from './figures.js';

const percent = (v: number | null): string => (v === null ? 'n/a' : `${(v * 100).toFixed(2)}%`);

export function renderAnalysisPage(a: RunAnalysis, figures: readonly Figure[]): string {
  const sections = new Map<string, Figure[]>();
  for (const f of figures) sections.set(f.section, [...(sections.get(f.section) ?? []), f]);
  const head = [
    ['run', a.run],
    ['task', a.task],
    ['mixer', a.mixer],
    ['test accuracy (run report)', percent(a.testAccuracy)],
    [`accuracy on the ${a.examples} analysed ${a.split} examples`, percent(a.accuracy)],
    ['checkpoint', `step ${a.checkpoint.step}`],
    ['model', `${a.model.layers} layers, width ${a.model.dModel}, ${a.model.heads} heads, length ${a.model.seqLen}`],
    ['backend', a.backend],
  ];
  const out: string[] = [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>${escapeXml(`analysis: ${a.task} / ${a.mixer} (${a.run})`)}</title>`,
    '<style>body{font-family:Helvetica,Arial,sans-serif;margin:24px;max-width:1500px;color:#222}' +
      'table{border-collapse:collapse}td{padding:2px 12px 2px 0}td:first-child{color:#555}' +
      '.figures{display:flex;flex-wrap:wrap;gap:18px}figure{margin:0;max-width:740px}figcaption{font-size:13px;color:#444;margin-top:4px}' +
      'svg{max-width:100%;height:auto}</style>',
    '</head><body>',
    `<h1>${escapeXml(`${a.task} / ${a.mixer}`)}: what the layers learned</h1>`,
    '<table>',
    ...head.map(([k, v]) => `<tr><td>${escapeXml(k!)}</td><td>${escapeXml(v!)}</td></tr>`),
    '</table>',
    '<p>Frequencies are in cycles per token (0 to 1/2). The numbers behind every figure are in analysis.json.</p>',
  ];
  for (const [section, list] of sections) {
    out.push(`<h2>${escapeXml(section)}</h2>`, '<div class="figures">');
    for (const f of list) {
      // The chart's own XML declaration-free SVG embeds as is.
      out.push(`<figure id="${escapeXml(f.name)}">`, f.svg.trim(), `<figcaption>${escapeXml(f.caption)} <a href="${escapeXml(f.name)}.svg">${escapeXml(f.name)}.svg</a></figcaption>`, '</figure>');
    }
    out.push('</div>');
  }
  out.push('</body></html>');
  return `${out.join('\n')}\n`;
}
