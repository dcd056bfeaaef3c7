// The dashboard's one page: static HTML, a little CSS and the inline script (page-script.ts);
// everything else it shows comes from the JSON endpoints.
import { escapeXml } from '../report/svg-chart.js';
import { DASHBOARD_SCRIPT } from './page-script.js';

const STYLE = [
  'body{font-family:Helvetica,Arial,sans-serif;margin:20px;color:#222;max-width:1400px}',
  'h1 small{font-weight:normal;color:#666;font-size:60%}',
  'table{border-collapse:collapse;font-size:13px;margin-bottom:10px}',
  'th,td{padding:3px 8px;border-bottom:1px solid #e4e4e4;text-align:left;vertical-align:top}',
  'td.num{text-align:right;font-variant-numeric:tabular-nums}',
  'td.files a{font-size:12px;margin-right:4px}',
  'tr[style] td.id{border-left:4px solid var(--run-color)}',
  '.status.finished{color:#2a7d2a}.status.running{color:#1f5fb4}.status.failed{color:#b42a2a}',
  'progress{width:80px;vertical-align:middle}',
  '#chart svg{font-size:12px;max-width:100%;height:auto}#chart .tick{fill:#333}',
  '.legend{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:14px;font-size:13px}',
  '.swatch{display:inline-block;width:18px;height:4px;vertical-align:middle}',
  '#status{color:#555}',
].join('\n');

export function renderDashboardPage(runsFolder: string): string {
  const options = [
    ['val-accuracy', 'validation accuracy'],
    ['train-accuracy', 'training accuracy'],
    ['val-loss', 'validation loss'],
    ['train-loss', 'training loss'],
    ['lr', 'learning rate'],
  ];
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>lra dashboard: ${escapeXml(runsFolder)}</title>`,
    // No favicon request (and no 404 for it in the console).
    '<link rel="icon" href="data:,">',
    `<style>${STYLE}</style>`,
    '</head><body>',
    `<h1>lra dashboard <small>${escapeXml(runsFolder)}</small></h1>`,
    '<p id="status">loading…</p>',
    '<h2>Runs</h2>',
    '<table id="runs"><thead><tr><th>compare</th><th>run</th><th>task</th><th>mixer</th><th>preset</th><th>seed</th><th>status</th>' +
      '<th>step</th><th>best val</th><th>last val</th><th>test</th><th>steps/s</th><th>files</th></tr></thead><tbody></tbody></table>',
    '<h2>Curves</h2>',
    `<label>metric <select id="metric">${options.map(([v, l]) => `<option value="${v}">${l}</option>`).join('')}</select></label>`,
    '<div id="chart"></div>',
    '<h2>Leaderboard</h2>',
    '<div id="leaderboard">loading…</div>',
    `<script>${DASHBOARD_SCRIPT}</script>`,
    '</body></html>',
    '',
  ].join('\n');
}
