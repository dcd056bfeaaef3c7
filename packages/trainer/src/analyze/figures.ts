// The figures of an analysis: which chart shows which number, with a caption saying how to read
// it. Frequencies are always in cycles per token (0 to 1/2), so every mixer's figures share the
// axis; gains are in dB where they span decades.
import type { LayerAnalysis } from '@lra/models';
import { heatmapMax, panelPng, renderHeatmap, type HeatmapPanel } from '../report/svg-heatmap.js';
import { renderLineChart, type ChartSeries, type Point } from '../report/svg-chart.js';
import type { RunAnalysis } from './analyze-run.js';

export interface Figure {
  /** File stem: the figure is written to analysis/<name>.svg. */
  name: string;
  section: string;
  caption: string;
  svg: string;
  /** Raster copies written beside the SVG (analysis/<file>). */
  rasters?: Array<{ file: string; data: Buffer }>;
}

const FREQUENCY = 'frequency (cycles per token)';
const MAX_LINES = 6;

const db = (v: number): number => (v > 0 ? Math.max(-120, 20 * Math.log10(v)) : -120);
const line = (name: string, xs: readonly number[], ys: readonly number[], extra: Partial<ChartSeries> = {}): ChartSeries => ({
  name,
  points: xs.map((x, i) => [x, ys[i]!] as Point),
  ...extra,
});

/** At most `count` row indices, evenly spread (all of them when there are few). */
export function spreadRows(rows: number, count = MAX_LINES): number[] {
  if (rows <= count) return Array.from({ length: rows }, (_, i) => i);
  return Array.from({ length: count }, (_, i) => Math.round((i * (rows - 1)) / (count - 1)));
}

/** Root mean square over rows, per column. */
function rms(rows: readonly (readonly number[])[]): number[] {
  return rows[0]!.map((_, k) => Math.sqrt(rows.reduce((s, r) => s + r[k]! ** 2, 0) / rows.length));
}

function filterFigures(l: LayerAnalysis, title: string): Figure[] {
  return l.filters.flatMap((f, index): Figure[] => {
    const picked = spreadRows(f.rows);
    const label = (r: number) => `${f.rowLabel} ${r}`;
    const section = `Layer ${l.layer}: learned filters`;
    if (f.real) {
      return [
        {
          name: `layer${l.layer}-filter${index}`,
          section,
          caption:
            `${f.name}, per ${f.rowLabel}: the real, zero-phase weight each frequency of the sequence is multiplied by ` +
            '(1 passes it unchanged, 0 removes it, a negative value flips its sign).',
          svg: renderLineChart({
            title: `${title}, layer ${l.layer}: ${f.name}`,
            xLabel: FREQUENCY,
            yLabel: 'filter value',
            series: picked.map((r) => line(label(r), f.cyclesPerToken, f.real![r]!)),
          }),
        },
      ];
    }
    const series = picked.map((r) => line(label(r), f.cyclesPerToken, f.magnitude[r]!.map(db)));
    if (f.rows > picked.length) series.push(line(`RMS over ${f.rows} ${f.rowLabel}s`, f.cyclesPerToken, rms(f.magnitude).map(db), { dashed: true, color: '#000000' }));
    return [
      {
        name: `layer${l.layer}-filter${index}-magnitude`,
        section,
        caption: `${f.name}: gain |K(f)| per ${f.rowLabel} in dB (0 dB passes a frequency unchanged).`,
        svg: renderLineChart({ title: `${title}, layer ${l.layer}: ${f.name}, magnitude`, xLabel: FREQUENCY, yLabel: 'gain (dB)', series }),
      },
      {
        name: `layer${l.layer}-filter${index}-phase`,
        section,
        caption: `${f.name}: phase arg K(f) per ${f.rowLabel}; a phase growing linearly with frequency is a shift along the sequence.`,
        svg: renderLineChart({
          title: `${title}, layer ${l.layer}: ${f.name}, phase`,
          xLabel: FREQUENCY,
          yLabel: 'phase (radians)',
          yDomain: [-Math.PI, Math.PI],
          series: picked.map((r) => line(label(r), f.cyclesPerToken, f.phase![r]!)),
        }),
      },
    ];
  });
}

function adaptiveFigures(l: LayerAnalysis, title: string): Figure[] {
  const base = l.filters.find((f) => f.name === 'base filter');
  return l.adaptiveFilters.flatMap((a, index) =>
    spreadRows(a.rows, 8).map((r) => ({
      name: `layer${l.layer}-adaptive${index}-${a.rowLabel}${r}`,
      section: `Layer ${l.layer}: adaptive filter across inputs`,
      caption:
        `${a.name}, ${a.rowLabel} ${r}, over ${a.examples} inputs: the mean filter, the band from the 10th to the 90th percentile ` +
        `per frequency (mean width ${a.spread[r]!.toPrecision(3)}), and the learned base it moves around. A wide band: the filter adapts to the input.`,
      svg: renderLineChart({
        title: `${title}, layer ${l.layer}: ${a.name}, ${a.rowLabel} ${r}`,
        xLabel: FREQUENCY,
        yLabel: 'filter value',
        series: [
          line('mean over inputs', a.cyclesPerToken, a.mean[r]!, { color: '#1f77b4' }),
          line('10th percentile', a.cyclesPerToken, a.p10[r]!, { color: '#1f77b4', dashed: true }),
          line('90th percentile', a.cyclesPerToken, a.p90[r]!, { color: '#1f77b4', dashed: true }),
          ...(base && a.name.startsWith('adaptive filter') ? [line('base filter', base.cyclesPerToken, base.real?.[r] ?? base.magnitude[r]!, { color: '#d62728' })] : []),
        ],
      }),
    })),
  );
}

function impulseFigures(l: LayerAnalysis, title: string): Figure[] {
  return l.impulseResponses.flatMap((h, index) => {
    const picked = spreadRows(h.channels);
    const offsets = h.values[0]!.map((_, m) => h.firstOffset + m);
    const section = `Layer ${l.layer}: long convolution filters`;
    return [
      {
        name: `layer${l.layer}-impulse${index}`,
        section,
        caption:
          `${h.name}: the impulse response h(i - j) of ${picked.length} of its ${h.channels} channels, by offset i - j between output and input ` +
          'position (negative offsets: the output reads later positions).',
        svg: renderLineChart({
          title: `${title}, layer ${l.layer}: ${h.name}, impulse response`,
          xLabel: 'offset i - j (tokens)',
          yLabel: 'h',
          series: picked.map((c) => line(`channel ${c}`, offsets, h.values[c]!)),
        }),
      },
      {
        name: `layer${l.layer}-impulse${index}-frequency`,
        section,
        caption: `${h.name}: the frequency response |H(f)| (the DFT of the impulse response above) in dB, and its RMS over all ${h.channels} channels.`,
        svg: renderLineChart({
          title: `${title}, layer ${l.layer}: ${h.name}, frequency response`,
          xLabel: FREQUENCY,
          yLabel: 'gain (dB)',
          series: [
            ...picked.map((c) => line(`channel ${c}`, h.frequency.cyclesPerToken, h.frequency.magnitude[c]!.map(db))),
            line(`RMS over ${h.channels} channels`, h.frequency.cyclesPerToken, rms(h.frequency.magnitude).map(db), { dashed: true, color: '#000000' }),
          ],
        }),
      },
    ];
  });
}

function attentionFigures(l: LayerAnalysis, title: string): Figure[] {
  const a = l.attention;
  if (!a) return [];
  const section = `Layer ${l.layer}: attention heads`;
  const heads = a.heads.map((h) => h.head);
  const offsets = a.heads[0]!.offsetProfile.values.map((_, m) => a.heads[0]!.offsetProfile.firstOffset + m);
  return [
    {
      name: `layer${l.layer}-attention-distance`,
      section,
      caption: `Mean attention distance per head (tokens), over ${a.rows} real query rows: small for local heads, large for global ones.`,
      svg: renderLineChart({
        title: `${title}, layer ${l.layer}: mean attention distance`,
        xLabel: 'head',
        yLabel: 'mean |i - j| (tokens)',
        includeZero: true,
        series: [line('mean distance', heads, a.heads.map((h) => h.meanDistance), { mode: 'markers' })],
      }),
    },
    {
      name: `layer${l.layer}-attention-entropy`,
      section,
      caption: 'Row entropy per head (nats) beside the entropy of an even spread over the real keys: the lower, the sharper (narrower-band) the head.',
      svg: renderLineChart({
        title: `${title}, layer ${l.layer}: attention entropy`,
        xLabel: 'head',
        yLabel: 'entropy (nats)',
        includeZero: true,
        series: [
          line('row entropy', heads, a.heads.map((h) => h.entropy), { mode: 'markers' }),
          line('uniform over real keys', heads, a.heads.map((h) => h.uniformEntropy), { mode: 'markers' }),
        ],
      }),
    },
    {
      name: `layer${l.layer}-attention-offsets`,
      section,
      caption: 'Average attention weight by offset j - i from the query: each head\'s average kernel (it sums to 1).',
      svg: renderLineChart({
        title: `${title}, layer ${l.layer}: average attention by offset`,
        xLabel: 'offset j - i (tokens)',
        yLabel: 'mean weight',
        includeZero: true,
        series: a.heads.map((h) => line(`head ${h.head}`, offsets, h.offsetProfile.values)),
      }),
    },
    {
      name: `layer${l.layer}-attention-spectrum`,
      section,
      caption: 'The spectrum |A(f)| of each average kernel in dB: a global, even head is a low-pass (an average); a sharp local head passes more of the band.',
      svg: renderLineChart({
        title: `${title}, layer ${l.layer}: spectrum of the average attention kernel`,
        xLabel: FREQUENCY,
        yLabel: 'gain (dB)',
        series: a.heads.map((h) => line(`head ${h.head}`, h.offsetSpectrum.cyclesPerToken, h.offsetSpectrum.magnitude.map(db))),
      }),
    },
    patternFigure(l, title),
  ];
}

function patternFigure(l: LayerAnalysis, title: string): Figure {
  const a = l.attention!;
  const g = a.meanPattern.grid;
  const panels: HeatmapPanel[] = a.heads.map((h) => ({ label: `head ${h.head}`, size: g, values: a.meanPattern.values.slice(h.head * g * g, (h.head + 1) * g * g) }));
  const name = `layer${l.layer}-attention-pattern`;
  const max = heatmapMax(panels);
  return {
    name,
    section: `Layer ${l.layer}: attention heads`,
    caption:
      `Mean attention pattern per head (${g} x ${g} cells over ${a.meanPattern.length} positions; rows are queries, columns keys): a band along ` +
      'the diagonal is a local head, vertical stripes are positions every query reads. PNG copies per head beside the SVG.',
    svg: renderHeatmap({ title: `${title}, layer ${l.layer}: mean attention pattern`, rowLabel: 'query position', columnLabel: 'key position', panels }),
    rasters: panels.map((p, h) => ({ file: `${name}-head${h}.png`, data: panelPng(p, max, Math.max(1, Math.floor(256 / g))) })),
  };
}

function dctFigures(l: LayerAnalysis, title: string): Figure[] {
  const d = l.dctEnergy;
  if (!d) return [];
  const index = d.coefficientShare.map((_, k) => k);
  const top = Math.max(...d.coefficientShare);
  return [
    {
      name: `layer${l.layer}-dct-energy`,
      section: `Layer ${l.layer}: DCT downsampling`,
      caption:
        `Share of the tokens' energy in each DCT coefficient (mean over ${d.examples} inputs); the first ${d.kept} of ${d.length} are kept, ` +
        `holding ${(d.energyKept.mean * 100).toFixed(1)}% of the energy on average (${(d.energyKept.min * 100).toFixed(1)}% to ${(d.energyKept.max * 100).toFixed(1)}%).`,
      svg: renderLineChart({
        title: `${title}, layer ${l.layer}: DCT energy (${(d.energyKept.mean * 100).toFixed(1)}% kept)`,
        xLabel: 'DCT coefficient',
        yLabel: 'share of energy',
        includeZero: true,
        series: [
          line('mean share', index, d.coefficientShare),
          line(`cut-off (${d.kept} kept)`, [d.kept - 0.5, d.kept - 0.5], [0, top], { color: '#d62728', dashed: true }),
        ],
      }),
    },
  ];
}

function responseFigures(layers: readonly LayerAnalysis[], title: string): Figure[] {
  const withResponse = layers.filter((l) => l.linearResponse);
  if (withResponse.length === 0) return [];
  const section = 'Every layer: effective linear response (Jacobian)';
  const methods = [...new Set(withResponse.map((l) => l.linearResponse!.method))].join(', ');
  const figures: Figure[] = [];
  const sameLength = withResponse.filter((l) => l.linearResponse!.byOffset);
  if (sameLength.length > 0) {
    figures.push({
      name: 'response-offsets',
      section,
      caption:
        'How strongly each layer\'s mixer output at position i responds to a small change of its input at position j, by offset i - j: ' +
        `||dy_i/dx_j|| / sqrt(D), averaged over impulse positions and real outputs (1 = identity). Computed ${methods}.`,
      svg: renderLineChart({
        title: `${title}: response to an impulse, by offset`,
        xLabel: 'offset i - j (tokens)',
        yLabel: 'response size',
        includeZero: true,
        series: sameLength.map((l) => {
          const r = l.linearResponse!.byOffset!;
          return line(`layer ${l.layer}`, r.magnitude.map((_, m) => r.firstOffset + m), r.magnitude);
        }),
      }),
    });
  }
  for (const l of withResponse.filter((x) => !x.linearResponse!.byOffset)) {
    const r = l.linearResponse!;
    figures.push({
      name: `layer${l.layer}-response-positions`,
      section,
      caption: `Layer ${l.layer} changes the length (${r.inputLength} to ${r.outputLength}): response size per output position to impulses at input positions ${[...new Set(r.columns.map((c) => c.position))].join(', ')}.`,
      svg: renderLineChart({
        title: `${title}, layer ${l.layer}: response by output position`,
        xLabel: 'output position',
        yLabel: 'response size',
        includeZero: true,
        series: [line(`layer ${l.layer}`, r.byOutputPosition.map((_, i) => i), r.byOutputPosition)],
      }),
    });
  }
  figures.push({
    name: 'response-frequency',
    section,
    caption:
      'The same responses as frequency responses: the gain of each layer\'s mixer at each frequency (DFT over output positions of the Jacobian ' +
      'column, RMS over channels, dB; 0 dB everywhere for the identity). One axis for every mixer: spectral filters, convolutions and attention alike.',
    svg: renderLineChart({
      title: `${title}: effective frequency response per layer`,
      xLabel: FREQUENCY,
      yLabel: 'gain (dB)',
      series: withResponse.map((l) => line(`layer ${l.layer}`, l.linearResponse!.frequency.cyclesPerToken, l.linearResponse!.frequency.gain.map(db))),
    }),
  });
  return figures;
}

/** Every figure of an analysis, in the order the page shows them. */
export function analysisFigures(a: RunAnalysis): Figure[] {
  const title = `${a.task} / ${a.mixer}`;
  return [
    ...responseFigures(a.layers, title),
    ...a.layers.flatMap((l) => [
      ...filterFigures(l, title),
      ...adaptiveFigures(l, title),
      ...impulseFigures(l, title),
      ...attentionFigures(l, title),
      ...dctFigures(l, title),
    ]),
  ];
}
