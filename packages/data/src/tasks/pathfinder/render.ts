import { pointSegmentDistance, type Segment } from './geometry.js';
import type { PathfinderStimulusSettings } from './settings.js';
import type { PathfinderStimulus } from './stimulus.js';

/** Marker discs are drawn at this intensity, paddles at their contrast (snakes2's values). */
const MARKER_INTENSITY = 1;

/**
 * Writes max(image, coverage x value) for every pixel near a stroke; coverage is the share of
 * `sub` x `sub` sub-samples of the pixel within `halfWidth` of the segment (a point when a = b).
 */
function drawCoverage(image: Float32Array, side: number, s: Segment, halfWidth: number, value: number, sub: number): void {
  const y0 = Math.max(0, Math.floor(Math.min(s.ay, s.by) - halfWidth - 1));
  const y1 = Math.min(side - 1, Math.ceil(Math.max(s.ay, s.by) + halfWidth + 1));
  const x0 = Math.max(0, Math.floor(Math.min(s.ax, s.bx) - halfWidth - 1));
  const x1 = Math.min(side - 1, Math.ceil(Math.max(s.ax, s.bx) + halfWidth + 1));
  const samples = sub * sub;
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      let inside = 0;
      for (let i = 0; i < sub; i++) {
        const py = y - 0.5 + (i + 0.5) / sub;
        for (let j = 0; j < sub; j++) {
          if (pointSegmentDistance(py, x - 0.5 + (j + 0.5) / sub, s) <= halfWidth) inside++;
        }
      }
      if (inside === 0) continue;
      const v = (inside / samples) * value;
      const k = y * side + x;
      if (v > image[k]!) image[k] = v;
    }
  }
}

/**
 * The image of a stimulus as snakes2 saves it: paddles of `paddleThickness` at their contrast
 * and the two marker discs, antialiased by sub-sampling (2 x antialiasScale per axis, where
 * snakes2 draws at antialiasScale and resizes with a Lanczos filter), the maximum where they
 * overlap, then scaled so that the brightest pixel is 255 (scipy's imsave/bytescale).
 */
export function renderPathfinderStimulus(stimulus: PathfinderStimulus, settings: PathfinderStimulusSettings): Uint8Array {
  const side = stimulus.side;
  const image = new Float32Array(side * side);
  const sub = 2 * settings.antialiasScale;
  const half = settings.paddleThickness / 2;
  for (const contour of stimulus.contours) {
    for (const paddle of contour.paddles) drawCoverage(image, side, paddle, half, paddle.contrast, sub);
  }
  for (const m of stimulus.markers) {
    drawCoverage(image, side, { ay: m.y, ax: m.x, by: m.y, bx: m.x }, settings.markerRadius, MARKER_INTENSITY, sub);
  }
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const v of image) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const out = new Uint8Array(side * side);
  if (hi <= lo) return out;
  const scale = 255 / (hi - lo);
  for (let i = 0; i < out.length; i++) out[i] = Math.min(255, Math.floor((image[i]! - lo) * scale + 0.5));
  return out;
}

/**
 * Every contour drawn as one unbroken line (paddles and the gaps between them) on a grid
 * `scale` times finer than the image: a pixel is 255 when its centre is within 0.75 fine pixels
 * of a piece, which makes each contour 8-connected. Two pixels of different contours are never
 * 8-neighbours when scale x clearance exceeds 1.5 + sqrt(2), so a flood fill from one marker
 * reaches the other exactly when both sit on the same contour.
 */
export function renderPathfinderContourMap(stimulus: PathfinderStimulus, scale: number): { side: number; pixels: Uint8Array } {
  const side = stimulus.side * scale;
  const pixels = new Uint8Array(side * side);
  const toFine = (v: number): number => (v + 0.5) * scale - 0.5;
  for (const contour of stimulus.contours) {
    for (const piece of [...contour.paddles, ...contour.joins]) {
      const s: Segment = { ay: toFine(piece.ay), ax: toFine(piece.ax), by: toFine(piece.by), bx: toFine(piece.bx) };
      const y0 = Math.max(0, Math.floor(Math.min(s.ay, s.by) - 1));
      const y1 = Math.min(side - 1, Math.ceil(Math.max(s.ay, s.by) + 1));
      const x0 = Math.max(0, Math.floor(Math.min(s.ax, s.bx) - 1));
      const x1 = Math.min(side - 1, Math.ceil(Math.max(s.ax, s.bx) + 1));
      for (let y = y0; y <= y1; y++) {
        for (let x = x0; x <= x1; x++) if (pointSegmentDistance(y, x, s) <= 0.75) pixels[y * side + x] = 255;
      }
    }
  }
  return { side, pixels };
}
