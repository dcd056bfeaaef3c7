// The dashboard page's script, run by the browser as is (no build step). It reads the JSON
// endpoints, lists the runs, draws the selected runs' curves on one SVG chart, shows the
// leaderboard, and polls while runs are training. Text from the runs goes in through
// textContent only, never as markup. Kept free of backticks and dollar-brace so that it sits
// in this TypeScript string unchanged.
export const DASHBOARD_SCRIPT = String.raw`
'use strict';
const REFRESH_MS = 5000;
const SVG_NS = 'http://www.w3.org/2000/svg';
const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
const METRICS = {
  'val-accuracy': { label: 'validation accuracy', records: 'val', field: 'accuracy' },
  'train-accuracy': { label: 'training accuracy', records: 'train', field: 'accuracy' },
  'val-loss': { label: 'validation loss', records: 'val', field: 'loss' },
  'train-loss': { label: 'training loss', records: 'train', field: 'loss' },
  'lr': { label: 'learning rate', records: 'train', field: 'lr' },
};
const state = { runs: [], selected: [], curves: new Map(), finished: -1 };

function el(tag, attrs, children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
  for (const c of children || []) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}
function svgEl(tag, attrs) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
  return node;
}
function svgText(x, y, text, attrs) {
  const node = svgEl('text', Object.assign({ x: x, y: y }, attrs || {}));
  node.textContent = text;
  return node;
}
const pct = (v) => (v === null || v === undefined ? '–' : (v * 100).toFixed(2) + '%');
const num = (v, digits) => (v === null || v === undefined ? '–' : Number(v).toFixed(digits));
const encodePath = (p) => p.split('/').map(encodeURIComponent).join('/');
const fileUrl = (id, file) => '/files/' + (id === '.' ? '' : encodePath(id) + '/') + encodePath(file);
const colorOf = (id) => COLORS[Math.max(0, state.selected.indexOf(id)) % COLORS.length];
const runLabel = (r) => r.id === '.' ? [r.task, r.mixer, r.preset, 's' + r.seed].join(' ') : r.id;

async function getJson(url) {
  const res = await fetch(url, { cache: 'no-store' });
  if (!res.ok) throw new Error(url + ': HTTP ' + res.status);
  return res.json();
}

function statusCell(r) {
  const cell = el('td', { class: 'status ' + r.status }, [r.status]);
  if (r.status === 'running' && r.progress !== null) {
    const bar = el('progress', { max: 1, value: r.progress, title: (r.lastStep || 0) + ' of ' + r.steps + ' steps' });
    cell.append(' ', bar, ' ' + Math.floor(r.progress * 100) + '%');
  } else if (r.status === 'failed' && r.steps !== null) {
    cell.append(' at ' + (r.lastStep === null ? 0 : r.lastStep) + ' / ' + r.steps);
  }
  return cell;
}

function renderRuns() {
  const body = document.querySelector('#runs tbody');
  body.replaceChildren();
  for (const r of state.runs) {
    const box = el('input', { type: 'checkbox', 'data-run': r.id, 'aria-label': 'compare ' + r.id });
    box.checked = state.selected.includes(r.id);
    box.addEventListener('change', () => toggle(r.id, box.checked));
    const links = el('td', { class: 'files' });
    for (const f of r.files) links.append(el('a', { href: fileUrl(r.id, f), target: '_blank' }, [f]), ' ');
    const row = el('tr', { 'data-run': r.id }, [
      el('td', {}, [box]),
      el('td', { class: 'id' }, [r.id]),
      el('td', {}, [r.task || '?']),
      el('td', {}, [r.mixer || '?']),
      el('td', {}, [r.preset || '?']),
      el('td', {}, [r.seed === null ? '?' : r.seed]),
      statusCell(r),
      el('td', { class: 'num' }, [(r.lastStep === null ? 0 : r.lastStep) + ' / ' + (r.steps === null ? '?' : r.steps)]),
      el('td', { class: 'num' }, [pct(r.bestValAccuracy)]),
      el('td', { class: 'num' }, [pct(r.lastValAccuracy)]),
      el('td', { class: 'num' }, [pct(r.testAccuracy)]),
      el('td', { class: 'num' }, [num(r.stepsPerSec, 2)]),
      links,
    ]);
    if (state.selected.includes(r.id)) row.style.setProperty('--run-color', colorOf(r.id));
    body.append(row);
  }
  if (state.runs.length === 0) body.append(el('tr', {}, [el('td', { colspan: 13 }, ['no runs yet: lra train --out DIR writes one'])]));
}

async function toggle(id, on) {
  state.selected = state.selected.filter((s) => s !== id);
  if (on) state.selected.push(id);
  if (on && !state.curves.has(id)) await loadCurves(id);
  renderRuns();
  drawChart();
}

async function loadCurves(id) {
  state.curves.set(id, await getJson('/api/curves?run=' + encodeURIComponent(id)));
}

function niceTicks(lo, hi, count) {
  if (!(hi > lo)) { hi = lo + 1; }
  const raw = (hi - lo) / count;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => raw <= s);
  const ticks = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

function drawChart() {
  const holder = document.getElementById('chart');
  const metric = METRICS[document.getElementById('metric').value];
  const series = state.selected
    .filter((id) => state.curves.has(id))
    .map((id) => ({ id: id, points: state.curves.get(id)[metric.records].map((r) => [r.step, r[metric.field]]).filter((p) => Number.isFinite(p[1])) }));
  const width = 760, height = 360, left = 64, right = 16, top = 16, bottom = 44;
  const svg = svgEl('svg', { width: width, height: height, viewBox: '0 0 ' + width + ' ' + height, role: 'img', 'aria-label': metric.label + ' by step' });
  const all = series.flatMap((s) => s.points);
  if (all.length === 0) {
    svg.append(svgText(width / 2, height / 2, state.selected.length === 0 ? 'select runs above to compare their curves' : 'no ' + metric.label + ' recorded yet', { 'text-anchor': 'middle', fill: '#777' }));
    holder.replaceChildren(svg);
    return;
  }
  const xs = all.map((p) => p[0]), ys = all.map((p) => p[1]);
  const x0 = 0, x1 = Math.max(1, Math.max.apply(null, xs));
  let y0 = Math.min.apply(null, ys), y1 = Math.max.apply(null, ys);
  if (metric.field === 'accuracy') { y0 = Math.min(y0, 0); y1 = Math.max(y1, 1); }
  if (y1 === y0) { y1 = y0 + 1; }
  const yTicks = niceTicks(y0, y1, 5), xTicks = niceTicks(x0, x1, 6);
  y0 = Math.min(y0, yTicks[0]); y1 = Math.max(y1, yTicks[yTicks.length - 1]);
  const px = (x) => left + ((x - x0) / (x1 - x0)) * (width - left - right);
  const py = (y) => top + (1 - (y - y0) / (y1 - y0)) * (height - top - bottom);
  const grid = svgEl('g', { class: 'grid', stroke: '#e4e4e4' });
  for (const t of yTicks) {
    grid.append(svgEl('line', { x1: left, x2: width - right, y1: py(t), y2: py(t) }));
    svg.append(svgText(left - 6, py(t) + 4, String(t), { 'text-anchor': 'end', class: 'tick' }));
  }
  for (const t of xTicks) {
    grid.append(svgEl('line', { x1: px(t), x2: px(t), y1: top, y2: height - bottom }));
    svg.append(svgText(px(t), height - bottom + 16, String(t), { 'text-anchor': 'middle', class: 'tick' }));
  }
  svg.prepend(grid);
  svg.append(svgEl('rect', { x: left, y: top, width: width - left - right, height: height - top - bottom, fill: 'none', stroke: '#333' }));
  svg.append(svgText(left + (width - left - right) / 2, height - 8, 'step', { 'text-anchor': 'middle' }));
  svg.append(svgText(14, top + (height - top - bottom) / 2, metric.label, { 'text-anchor': 'middle', transform: 'rotate(-90 14 ' + (top + (height - top - bottom) / 2) + ')' }));
  for (const s of series) {
    if (s.points.length === 0) continue;
    const d = s.points.map((p, i) => (i === 0 ? 'M' : 'L') + px(p[0]).toFixed(1) + ',' + py(p[1]).toFixed(1)).join(' ');
    const path = svgEl('path', { class: 'curve', 'data-run': s.id, d: d, fill: 'none', stroke: colorOf(s.id), 'stroke-width': 2 });
    const title = svgEl('title');
    title.textContent = s.id;
    path.append(title);
    svg.append(path);
    // A lone point draws no line: mark it.
    if (s.points.length === 1) svg.append(svgEl('circle', { cx: px(s.points[0][0]), cy: py(s.points[0][1]), r: 3.5, fill: colorOf(s.id) }));
  }
  const legend = el('ul', { class: 'legend' });
  for (const s of series) {
    const swatch = el('span', { class: 'swatch' });
    swatch.style.background = colorOf(s.id);
    legend.append(el('li', {}, [swatch, ' ' + s.id]));
  }
  holder.replaceChildren(svg, legend);
}

function formatStats(s) {
  if (!s) return '–';
  return s.mean.toFixed(2) + (s.std === null ? '' : ' ± ' + s.std.toFixed(2)) + ' (n=' + s.n + ')';
}
function formatPublished(p) {
  if (!p) return 'not published';
  return p.model + ': ' + (p.accuracy !== null ? p.accuracy.toFixed(2) : p.note === 'FAIL' ? 'FAIL' : '–');
}

function renderLeaderboard(lb) {
  const holder = document.getElementById('leaderboard');
  const head = (names) => el('thead', {}, [el('tr', {}, names.map((n) => el('th', {}, [n])))]);
  const entries = el('table', { id: 'entries' }, [
    head(['task', 'mixer', 'preset', 'settings', 'test accuracy % (best checkpoint)', 'published %', 'difference (points)', 'steps/s']),
    el('tbody', {}, lb.entries.map((e) =>
      el('tr', {}, [
        el('td', {}, [e.task]), el('td', {}, [e.mixer]), el('td', {}, [e.preset]), el('td', {}, [e.settings || '']),
        el('td', { class: 'num' }, [formatStats(e.testAccuracy)]),
        el('td', {}, [formatPublished(e.published)]),
        el('td', { class: 'num' }, [e.diffToPublished === null ? '–' : (e.diffToPublished > 0 ? '+' : '') + e.diffToPublished.toFixed(2)]),
        el('td', { class: 'num' }, [num(e.speed.stepsPerSec, 2)]),
      ]))),
  ]);
  const tasks = ['listops', 'text', 'retrieval', 'image', 'pathfinder', 'pathx'];
  const table1 = el('table', { id: 'lra-table-1' }, [
    head(['model (LRA Table 1)'].concat(tasks)),
    el('tbody', {}, lb.lraComparison.map((row) =>
      el('tr', {}, [el('td', {}, [row.model + ' (' + row.mixer + ')'])].concat(tasks.map((t) => {
        const ours = row.ours[t];
        const published = row.published[t] === null ? (t === 'pathx' && row.pathxFailed ? 'FAIL' : '–') : row.published[t].toFixed(2);
        return el('td', { class: 'num' }, [(ours ? ours.testAccuracy.toFixed(2) + (ours.preset !== 'lra' ? ' (' + ours.preset + ')' : '') : '·') + ' / ' + published]);
      }))))),
  ]);
  holder.replaceChildren(
    el('p', {}, [lb.runs.finished + ' finished runs, ' + lb.runs.unfinished + ' unfinished. ' + lb.conventions.accuracy + '; ' + lb.conventions.spread + '.']),
    lb.entries.length > 0 ? entries : el('p', {}, ['no finished runs yet']),
    el('h3', {}, ['LRA Table 1 beside these runs (ours / published, %)']),
    table1,
  );
}

async function refresh() {
  try {
    const data = await getJson('/api/runs');
    state.runs = data.runs;
    const known = new Set(state.runs.map((r) => r.id));
    state.selected = state.selected.filter((id) => known.has(id));
    // Curves change only while a run trains: reload those, keep the rest.
    const live = state.runs.filter((r) => r.status === 'running' && state.selected.includes(r.id));
    await Promise.all(live.map((r) => loadCurves(r.id)));
    renderRuns();
    drawChart();
    const finished = state.runs.filter((r) => r.status === 'finished').length;
    // The leaderboard changes only when a run finishes; after a failed fetch it is asked again.
    if (finished !== state.finished) {
      renderLeaderboard(await getJson('/api/leaderboard'));
      state.finished = finished;
    }
    const running = state.runs.filter((r) => r.status === 'running').length;
    document.getElementById('status').textContent =
      state.runs.length + ' runs in ' + data.root + ' (' + running + ' training), updated ' + new Date(data.time).toLocaleTimeString();
  } catch (err) {
    document.getElementById('status').textContent = 'cannot reach the dashboard server: ' + err.message;
  }
}

document.getElementById('metric').addEventListener('change', drawChart);
refresh();
setInterval(refresh, REFRESH_MS);
`;
