/**
 * The settings of the Linsley et al. (2018) snakes2 generator, named as its arguments are
 * (window_size, padding, paddle_length, ...). Lengths are in pixels of the final image.
 */
export interface PathfinderStimulusSettings {
  /** window_size: images are side x side. */
  side: number;
  /** A frame this wide along the border stays empty. */
  padding: number;
  /** antialias_scale: strokes are rendered with this many sub-samples per pixel and axis (x2). */
  antialiasScale: number;
  /** The two target contours start this far apart. */
  seedDistance: number;
  markerRadius: number;
  /** Paddles per target contour. */
  contourLength: number;
  /** Paddles per distractor contour. */
  distractorLength: number;
  /** num_distractor_snakes: distractor contours attempted per image. */
  distractorCount: number;
  paddleLength: number;
  paddleThickness: number;
  /** paddle_margin_list: one is drawn per image; paddles are 2 x margin apart along a contour. */
  paddleMargins: number[];
  /** Higher values make contours straighter: a turn of angle d is weighted cos(min(d * c, pi/2))^2. */
  continuity: number;
  /** snake_contrast_list: target paddles get one of these x a paddle contrast; distractors one of these. */
  snakeContrasts: number[];
  paddleContrasts: number[];
  /** use_single_paddles: fill the image with one-paddle distractors as well. */
  singlePaddles: boolean;
  /** max_paddle_retrial: extra tries to place a paddle. */
  maxPaddleRetrial: number;
  /** max_distractor_contour_retrial: extra tries to place a distractor contour. */
  maxDistractorRetrial: number;
}

const common = {
  padding: 1,
  antialiasScale: 2,
  contourLength: 14,
  distractorLength: 4,
  paddleContrasts: [1],
  singlePaddles: false,
  maxPaddleRetrial: 2,
  maxDistractorRetrial: 4,
};

/**
 * The settings of the release's four resolutions, from LRA's pathfinder.py (Pathfinder32 ...
 * Pathfinder256 docstrings) over snakes2's defaults. The 64/128/256 settings were written for
 * Python 2, where contour_length / 3 = 4 and 35 / 4 = 8 (integer division), as used here.
 * use_single_paddles is not among LRA's settings; the snakes2 wrapper sets it off, as here.
 */
export const pathfinderResolutionSettings: Readonly<Record<32 | 64 | 128 | 256, PathfinderStimulusSettings>> = {
  32: {
    ...common,
    side: 32,
    seedDistance: 7,
    markerRadius: 1.5,
    distractorCount: Math.floor(20 / 4),
    paddleLength: 2,
    paddleThickness: 0.5,
    paddleMargins: [1],
    continuity: 1.0,
    snakeContrasts: [2],
    paddleContrasts: [0.75],
  },
  64: {
    ...common,
    side: 64,
    seedDistance: 12,
    markerRadius: 2.5,
    distractorCount: Math.floor(22 / 4),
    paddleLength: 5,
    paddleThickness: 1,
    paddleMargins: [1],
    continuity: 1.8,
    snakeContrasts: [0.8],
  },
  128: {
    ...common,
    side: 128,
    seedDistance: 20,
    markerRadius: 3,
    distractorCount: Math.floor(35 / 4),
    paddleLength: 5,
    paddleThickness: 1.5,
    paddleMargins: [2, 3],
    continuity: 1.8,
    snakeContrasts: [0.9],
  },
  256: {
    ...common,
    side: 256,
    padding: 22,
    seedDistance: 27,
    markerRadius: 5,
    distractorCount: Math.floor(30 / 4),
    paddleLength: 5,
    paddleThickness: 2,
    paddleMargins: [3],
    continuity: 1.8,
    snakeContrasts: [1],
  },
};

function isReleaseSide(side: number): side is 32 | 64 | 128 | 256 {
  return side === 32 || side === 64 || side === 128 || side === 256;
}

/**
 * The settings for images of `side` pixels: the release's own for 32, 64, 128 and 256; for any
 * other size, the 32x32 settings with every length scaled by side / 32 (paddle length, margin,
 * seed distance rounded to whole pixels, at least 1; thickness to a multiple of 1 / antialias
 * scale; marker radius unrounded), counts and contrasts unchanged.
 */
export function pathfinderSettingsFor(side: number): PathfinderStimulusSettings {
  if (!Number.isInteger(side) || side < 16 || side > 1024) {
    throw new Error(`pathfinder generator: side must be an integer in [16, 1024], got ${JSON.stringify(side)}`);
  }
  if (isReleaseSide(side)) return structuredClone(pathfinderResolutionSettings[side]);
  const base = pathfinderResolutionSettings[32];
  const f = side / 32;
  const aa = base.antialiasScale;
  return {
    ...structuredClone(base),
    side,
    seedDistance: Math.max(1, Math.round(base.seedDistance * f)),
    markerRadius: base.markerRadius * f,
    paddleLength: Math.max(1, Math.round(base.paddleLength * f)),
    paddleThickness: Math.max(1, Math.round(base.paddleThickness * f * aa)) / aa,
    paddleMargins: base.paddleMargins.map((m) => Math.max(1, Math.round(m * f))),
  };
}

/** Checks settings a caller assembled; throws naming the first field that is out of range. */
export function validatePathfinderSettings(s: PathfinderStimulusSettings): PathfinderStimulusSettings {
  const int = (name: keyof PathfinderStimulusSettings, min: number, max: number): void => {
    const v = s[name];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      throw new Error(`pathfinder generator: settings.${name} must be an integer in [${min}, ${max}], got ${JSON.stringify(v)}`);
    }
  };
  const num = (name: keyof PathfinderStimulusSettings, min: number, max: number): void => {
    const v = s[name];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
      throw new Error(`pathfinder generator: settings.${name} must be a number in [${min}, ${max}], got ${JSON.stringify(v)}`);
    }
  };
  const list = (name: 'paddleMargins' | 'snakeContrasts' | 'paddleContrasts', integer: boolean): void => {
    const v = s[name];
    if (!Array.isArray(v) || v.length === 0 || v.some((x) => typeof x !== 'number' || !Number.isFinite(x) || x <= 0 || (integer && !Number.isInteger(x)))) {
      throw new Error(`pathfinder generator: settings.${name} must be a non-empty list of positive ${integer ? 'integers' : 'numbers'}, got ${JSON.stringify(v)}`);
    }
  };
  int('side', 16, 1024);
  int('padding', 0, Math.floor(s.side / 4));
  int('antialiasScale', 1, 8);
  int('seedDistance', 1, s.side);
  num('markerRadius', 0.5, s.side / 4);
  int('contourLength', 1, 1000);
  int('distractorLength', 1, 1000);
  int('distractorCount', 0, 1000);
  int('paddleLength', 1, s.side);
  num('paddleThickness', 1 / s.antialiasScale, s.side / 4);
  list('paddleMargins', true);
  num('continuity', 0, 100);
  list('snakeContrasts', false);
  list('paddleContrasts', false);
  int('maxPaddleRetrial', 0, 100);
  int('maxDistractorRetrial', 0, 100);
  if (typeof s.singlePaddles !== 'boolean') throw new Error('pathfinder generator: settings.singlePaddles must be true or false');
  if (Math.round(s.paddleThickness * s.antialiasScale) !== s.paddleThickness * s.antialiasScale) {
    // snakes2 raises 'thickness does not break even' for the same reason: strokes are whole sub-pixels wide.
    throw new Error(`pathfinder generator: settings.paddleThickness ${s.paddleThickness} x antialiasScale ${s.antialiasScale} is not a whole number`);
  }
  return s;
}
