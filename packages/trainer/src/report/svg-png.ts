// PNG copies of the SVG charts, for papers and slides that take no SVG. resvg renders them
// (its native binary comes with @resvg/resvg-js as the platform's optional dependency). It is
// loaded on first use, not at import: a platform without the binary still trains, evaluates and
// writes every SVG, and says once why its PNGs are missing.
import { createRequire } from 'node:module';
import { writeFileAtomic } from '../util/atomic.js';

/** Pixels per SVG unit: 2 gives about 190 dpi at the charts' printed width (a column of a paper). */
export const PNG_SCALE = 2;

interface ResvgModule {
  Resvg: new (
    svg: string,
    options: { fitTo: { mode: 'zoom'; value: number }; font: { loadSystemFonts: boolean }; background?: string },
  ) => { render(): { asPng(): Buffer; width: number; height: number } };
}

let loaded: { module: ResvgModule } | { error: string } | undefined;
let warned = false;

function loadResvg(): { module: ResvgModule } | { error: string } {
  if (!loaded) {
    try {
      loaded = { module: createRequire(import.meta.url)('@resvg/resvg-js') as ResvgModule };
    } catch (err) {
      loaded = { error: err instanceof Error ? err.message.split('\n')[0]! : String(err) };
    }
  }
  return loaded;
}

/** Why PNGs cannot be rendered here, or null when they can. */
export function pngUnavailableReason(): string | null {
  const r = loadResvg();
  return 'error' in r ? r.error : null;
}

/** Free sans-serif faces, one of which a Linux machine usually has, tried before resvg's generic fallback. */
const OPEN_SANS_FACES = 'Liberation Sans, DejaVu Sans, Noto Sans, FreeSans';

/**
 * Two differences between resvg and a browser, bridged here. resvg knows image-rendering's SVG
 * values, not CSS's `pixelated` (which browsers need): without the swap a heatmap's cells, one
 * pixel each in the embedded image, would be smoothed into each other. And resvg maps the generic
 * `sans-serif` to Arial alone: where Helvetica and Arial are missing it would fall back to a serif
 * face, so the free look-alikes are named before the generic family.
 */
function forResvg(svg: string): string {
  return svg
    .replaceAll('image-rendering:pixelated', 'image-rendering:optimizeSpeed')
    .replace(/font-family="([^"]*?)\bsans-serif"/g, `font-family="$1${OPEN_SANS_FACES}, sans-serif"`);
}

/** The SVG rendered to PNG at `scale` pixels per unit, on white (the charts draw their own background). */
export function svgToPng(svg: string, scale = PNG_SCALE): Buffer {
  const r = loadResvg();
  if ('error' in r) throw new Error(`cannot render PNG: @resvg/resvg-js did not load (${r.error})`);
  // The system's fonts: without them resvg draws no text at all.
  const resvg = new r.module.Resvg(forResvg(svg), { fitTo: { mode: 'zoom', value: scale }, font: { loadSystemFonts: true }, background: '#ffffff' });
  return resvg.render().asPng();
}

/** plots/loss.svg -> plots/loss.png. */
export function pngPathOf(svgPath: string): string {
  return svgPath.endsWith('.svg') ? `${svgPath.slice(0, -'.svg'.length)}.png` : `${svgPath}.png`;
}

/**
 * Writes the SVG and its PNG copy beside it, each atomically; returns the paths written. Without
 * resvg only the SVG is written, and a warning says why (once per process).
 */
export async function writeSvgAndPng(svgPath: string, svg: string): Promise<string[]> {
  await writeFileAtomic(svgPath, svg);
  const reason = pngUnavailableReason();
  if (reason !== null) {
    if (!warned) process.stderr.write(`warning: SVG charts are written without PNG copies: @resvg/resvg-js did not load (${reason})\n`);
    warned = true;
    return [svgPath];
  }
  const pngPath = pngPathOf(svgPath);
  await writeFileAtomic(pngPath, svgToPng(svg));
  return [svgPath, pngPath];
}
