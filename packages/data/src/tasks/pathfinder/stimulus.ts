import {
  SegmentIndex,
  angleBetween,
  flipAngle,
  translate,
  translateCeil,
  type IndexedSegment,
  type Point,
  type Segment,
} from './geometry.js';
import type { PathfinderStimulusSettings } from './settings.js';

export type ContourRole = 'target' | 'distractor' | 'single';

/** One drawn paddle: a stroke from a to b with its contrast. */
export interface Paddle extends Segment {
  contrast: number;
}

/** A contour ("snake"): paddles in order along it, and the joins (gaps) between them. */
export interface Contour {
  role: ContourRole;
  paddles: Paddle[];
  /** joins[i] links the end of paddles[i] to the start of paddles[i + 1]; they are not drawn. */
  joins: Segment[];
  /** The first paddle's free end (where an origin marker goes). */
  origin: Point;
  /** The last paddle's free end (where a terminal marker goes). */
  terminal: Point;
}

export interface PathfinderStimulus {
  side: number;
  /** 1 when both markers sit on the same contour. */
  label: 0 | 1;
  /** The two marker centres: the origin of one target contour, the terminal of one of them. */
  markers: [Point, Point];
  /** contours[0] and contours[1] are the targets, distractors follow. */
  contours: Contour[];
  /** The paddle margin drawn for this image (one of settings.paddleMargins). */
  paddleMargin: number;
  /** Distractor contours placed (of settings.distractorCount attempted). */
  distractors: number;
  singlePaddles: number;
}

export type Random = () => number;

/** Candidate head offsets around a pivot, with their directions. */
interface Ring {
  dy: Int32Array;
  dx: Int32Array;
  angle: Float64Array;
}

/** numpy's randint(low, high): an integer in [low, high). */
function randint(random: Random, low: number, high: number): number {
  return low + Math.floor(random() * (high - low));
}

/** numpy's round(): halves to even. */
function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff !== 0.5) return Math.round(x);
  return floor % 2 === 0 ? floor : floor + 1;
}

/** Two seed contours failed this many times in a row: the settings leave no room for them. */
const MAX_TARGET_ATTEMPTS = 200_000;
/** Random tail positions tried before every position is checked (the draw stays uniform). */
const QUICK_TAIL_TRIES = 48;

/** The state of a contour being grown: where its next paddle is anchored. */
interface Growth {
  contour: number;
  pivot: Point;
  angle: number;
  /** The far end of its last paddle. */
  head: Point;
  /** seq of its last paddle in the index. */
  seq: number;
}

/**
 * Samples one Pathfinder stimulus as snakes2 does: two target contours seeded `seedDistance`
 * apart and grown paddle by paddle in turn, then distractor contours, then markers on the
 * origin of one target and the terminal of the same target (label 1) or of the other (label 0).
 *
 * Paddles are placed in continuous coordinates rather than on snakes2's dilated raster masks:
 * a paddle (and the gap joining it to the previous paddle of its contour) must keep its centre
 * line `2 x margin` away from every other contour and from the older paddles of its own, and
 * `margin` inside the padding frame. The release's rule is the same in intent (dilated masks
 * may not overlap) but also lets gaps of different contours come close; here they cannot, so
 * which contour a marker sits on is never ambiguous.
 */
export class PathfinderStimulusSampler {
  private index!: SegmentIndex;
  private margin = 1;
  private clearance = 2;
  private lo = 0;
  private hi = 0;
  private readonly rings = new Map<number, Ring>();
  private weights = new Float64Array(64);

  constructor(
    readonly settings: PathfinderStimulusSettings,
    private readonly random: Random,
  ) {}

  sample(label: 0 | 1): PathfinderStimulus {
    const s = this.settings;
    this.margin = s.paddleMargins[randint(this.random, 0, s.paddleMargins.length)]!;
    this.clearance = 2 * this.margin;
    this.lo = s.padding + this.margin - 0.5;
    this.hi = s.side - 1 - s.padding - this.margin + 0.5;
    const cell = Math.max(4, s.paddleLength + 2 * this.margin);

    let targets: Contour[] | null = null;
    for (let attempt = 0; targets === null; attempt++) {
      if (attempt >= MAX_TARGET_ATTEMPTS) {
        throw new Error(
          `pathfinder generator: could not place two target contours of ${s.contourLength} paddles in ${attempt} attempts; the settings leave too little room`,
        );
      }
      if ((this.index as SegmentIndex | undefined)?.cell !== cell) this.index = new SegmentIndex(s.side, cell);
      this.index.truncate(0);
      targets = this.twoTargets();
    }
    const contours = [...targets];

    let distractors = 0;
    for (let i = 0; i < s.distractorCount; i++) {
      const contour = this.retryContour(contours.length, 'distractor', s.distractorLength, s.maxDistractorRetrial);
      if (contour !== null) {
        contours.push(contour);
        distractors++;
      }
    }
    let singlePaddles = 0;
    if (s.singlePaddles) {
      const m = this.margin;
      // snakes2: 150 paddles at margin 4 scaled by the area a paddle and its margin take up.
      const total = Math.floor(150 / ((7.5 + 13 * m + 4 * m * m) / 123.5));
      const wanted = total - 2 * s.contourLength - s.distractorCount * s.distractorLength;
      for (let i = 0; i < wanted; i++) {
        const contour = this.retryContour(contours.length, 'single', 1, s.maxPaddleRetrial);
        if (contour !== null) {
          contours.push(contour);
          singlePaddles++;
        }
      }
    }

    const originIndex = randint(this.random, 0, 2);
    const terminalIndex = label === 1 ? originIndex : 1 - originIndex;
    return {
      side: s.side,
      label,
      markers: [targets[originIndex]!.origin, targets[terminalIndex]!.terminal],
      contours,
      paddleMargin: this.margin,
      distractors,
      singlePaddles,
    };
  }

  private inFrame(p: Point): boolean {
    return p.y >= this.lo && p.y <= this.hi && p.x >= this.lo && p.x <= this.hi;
  }

  private inImage(p: Point): boolean {
    return p.y >= 0 && p.y < this.settings.side && p.x >= 0 && p.x < this.settings.side;
  }

  /**
   * Whether a piece of contour `contour` keeps its clearance. Pieces of the same contour from
   * position `exemptFrom` on are its neighbours along the contour and do not count.
   */
  private fits(piece: Segment, contour: number, exemptFrom: number): boolean {
    if (!this.inFrame({ y: piece.ay, x: piece.ax }) || !this.inFrame({ y: piece.by, x: piece.bx })) return false;
    return !this.index.anyWithin(piece, this.clearance, contour, exemptFrom);
  }

  private contrastOf(snakeContrast: number, withPaddleContrast: boolean): number {
    const list = this.settings.paddleContrasts;
    return withPaddleContrast ? list[randint(this.random, 0, list.length)]! * snakeContrast : snakeContrast;
  }

  /**
   * snakes2's seed_snake: a random orientation, a tail drawn uniformly among the positions from
   * which a paddle in that orientation fits (within `region` for the first target), and up to
   * maxPaddleRetrial more tries when the head or the pivot falls outside the image.
   */
  private seed(contour: number, region: { lo: number; hi: number } | null): { growth: Growth; paddle: Paddle; tail: Point } | null {
    const s = this.settings;
    const L = s.paddleLength;
    for (let trial = 0; trial <= s.maxPaddleRetrial; trial++) {
      const angle = (randint(this.random, -180, 180) * Math.PI) / 180;
      const reversed = angle + Math.PI < Math.PI ? angle + Math.PI : angle - Math.PI;
      const fitsAt = (y: number, x: number): boolean => {
        if (region !== null && (y < region.lo || y >= region.hi || x < region.lo || x >= region.hi)) return false;
        const end = translate({ y, x }, angle, L);
        return this.fits({ ay: y, ax: x, by: end.y, bx: end.x }, contour, Number.POSITIVE_INFINITY);
      };
      const tail = this.uniformPosition(fitsAt);
      if (tail === null) return null; // snakes2: no available coordinate ends the contour at once
      const head = translateCeil(tail, angle, L);
      const pivot = translateCeil(head, reversed, L + this.margin);
      if (!this.inImage(head) || !this.inImage(pivot)) continue;
      const end = translate(tail, angle, L);
      const paddle: Paddle = { ay: tail.y, ax: tail.x, by: end.y, bx: end.x, contrast: 1 };
      return { growth: { contour, pivot, angle, head: end, seq: 0 }, paddle, tail };
    }
    return null;
  }

  /** A position drawn uniformly among those where `ok` holds, or null when there is none. */
  private uniformPosition(ok: (y: number, x: number) => boolean): Point | null {
    const side = this.settings.side;
    for (let i = 0; i < QUICK_TAIL_TRIES; i++) {
      const y = randint(this.random, 0, side);
      const x = randint(this.random, 0, side);
      if (ok(y, x)) return { y, x };
    }
    const all: number[] = [];
    for (let y = 0; y < side; y++) for (let x = 0; x < side; x++) if (ok(y, x)) all.push(y * side + x);
    if (all.length === 0) return null;
    const k = all[randint(this.random, 0, all.length)]!;
    return { y: Math.floor(k / side), x: k % side };
  }

  /**
   * snakes2's candidate heads around a pivot: points every arc pixel (360 / (2 pi r) degrees)
   * on a circle of radius r, truncated to pixels, de-duplicated and sorted by (y, x) as
   * numpy.unique does. The pivot is a whole pixel, so the offsets are the same for every pivot
   * (truncation of an in-image coordinate is its floor), and so is which fall outside the image.
   */
  private ring(radius: number): Ring {
    let ring = this.rings.get(radius);
    if (ring === undefined) {
      const step = 360 / (2 * radius * Math.PI);
      const seen = new Map<string, { y: number; x: number }>();
      for (let deg = 0; deg < 360; deg += step) {
        const rad = (deg * Math.PI) / 180;
        const y = Math.floor(radius * Math.sin(rad));
        const x = Math.floor(radius * Math.cos(rad));
        seen.set(`${y},${x}`, { y, x });
      }
      const offsets = [...seen.values()].sort((a, b) => a.y - b.y || a.x - b.x);
      ring = {
        dy: Int32Array.from(offsets, (o) => o.y),
        dx: Int32Array.from(offsets, (o) => o.x),
        angle: Float64Array.from(offsets, (o) => Math.atan2(o.y, o.x)),
      };
      this.rings.set(radius, ring);
      if (this.weights.length < offsets.length) this.weights = new Float64Array(offsets.length);
    }
    return ring;
  }

  private commit(growth: Growth, piece: Segment, seq: number): void {
    const indexed: IndexedSegment = { ay: piece.ay, ax: piece.ax, by: piece.by, bx: piece.bx, contour: growth.contour, seq };
    this.index.add(indexed);
  }

  /**
   * snakes2's extend_snake: the next pivot lies L + 2 x margin beyond the last one; candidate
   * heads are the pixels on a circle of radius L + margin around it, weighted by continuity
   * (cos^2 of the turn, scaled) and zero where another contour is near; a paddle is drawn from
   * the chosen head back towards the pivot, up to maxPaddleRetrial more times until one fits.
   */
  private extend(g: Growth, contrast: number): { paddle: Paddle; join: Segment; growth: Growth } | null {
    const s = this.settings;
    const L = s.paddleLength;
    const pivot = translateCeil(g.pivot, g.angle, L + 2 * this.margin);
    const ring = this.ring(L + this.margin);
    const count = ring.dy.length;
    const weights = this.weights;
    let total = 0;
    for (let k = 0; k < count; k++) {
      const y = pivot.y + ring.dy[k]!;
      const x = pivot.x + ring.dx[k]!;
      let weight = 0;
      // Outside the image is no candidate; in the frame, weight 0.
      if (y >= 0 && y < s.side && x >= 0 && x < s.side && this.inFrame({ y, x })) {
        const delta = Math.min(angleBetween(ring.angle[k]!, g.angle) * s.continuity, Math.PI / 2);
        weight = Math.max(Math.cos(delta), 0) ** 2;
      }
      weights[k] = weight;
      total += weight;
    }
    // snakes2 zeroes the candidates near another contour before drawing. Checking only the
    // candidates drawn, and drawing again without one found near a contour, gives the same
    // distribution at a fraction of the work (most candidates are free).
    let trial = 0;
    while (trial <= s.maxPaddleRetrial) {
      if (total < 1e-4) return null;
      const r = this.random() * total;
      let k = 0;
      let acc = weights[0]!;
      while (k < count - 1 && !(acc > r)) acc += weights[++k]!;
      const head = { y: pivot.y + ring.dy[k]!, x: pivot.x + ring.dx[k]! };
      if (this.index.anyWithin({ ay: head.y, ax: head.x, by: head.y, bx: head.x }, this.clearance, g.contour, g.seq - 1)) {
        total -= weights[k]!;
        weights[k] = 0;
        continue;
      }
      const angle = ring.angle[k]!;
      const start = translate(head, flipAngle(angle), L);
      const paddle: Paddle = { ay: start.y, ax: start.x, by: head.y, bx: head.x, contrast };
      const join: Segment = { ay: g.head.y, ax: g.head.x, by: start.y, bx: start.x };
      // The previous paddle (seq g.seq) and the join before it are neighbours along the contour,
      // closer than the clearance by construction when the paddle length is below it.
      if (this.fits(join, g.contour, g.seq - 1) && this.fits(paddle, g.contour, g.seq - 1)) {
        return { paddle, join, growth: { contour: g.contour, pivot, angle, head, seq: g.seq + 2 } };
      }
      trial++;
    }
    return null;
  }

  /** snakes2's two_snakes: both seeds, then both contours grown a paddle at a time in turn. */
  private twoTargets(): Contour[] | null {
    const s = this.settings;
    const snakeContrasts = [...s.snakeContrasts, ...s.snakeContrasts];
    for (let i = snakeContrasts.length - 1; i > 0; i--) {
      const j = randint(this.random, 0, i + 1);
      [snakeContrasts[i], snakeContrasts[j]] = [snakeContrasts[j]!, snakeContrasts[i]!];
    }
    const border = 2 * s.seedDistance;
    const first = this.seed(0, { lo: border, hi: s.side - border });
    if (first === null) return null;
    first.paddle.contrast = this.contrastOf(snakeContrasts[0]!, true);
    this.commit(first.growth, first.paddle, 0);

    const second = this.secondSeed(first.tail);
    if (second === null) return null;
    second.paddle.contrast = this.contrastOf(snakeContrasts[1]!, true);
    this.commit(second.growth, second.paddle, 0);

    const contours: Contour[] = [first, second].map((seed) => ({
      role: 'target',
      paddles: [seed.paddle],
      joins: [],
      origin: seed.tail,
      terminal: { y: seed.paddle.by, x: seed.paddle.bx },
    }));
    const growth = [first.growth, second.growth];
    for (let k = 1; k < s.contourLength; k++) {
      const paddleContrast = s.paddleContrasts[randint(this.random, 0, s.paddleContrasts.length)]!;
      for (let c = 0; c < 2; c++) {
        const next = this.extend(growth[c]!, paddleContrast * snakeContrasts[c]!);
        if (next === null) return null;
        this.commit(growth[c]!, next.join, growth[c]!.seq + 1);
        this.commit(growth[c]!, next.paddle, growth[c]!.seq + 2);
        growth[c] = next.growth;
        contours[c]!.paddles.push(next.paddle);
        contours[c]!.joins.push(next.join);
        contours[c]!.terminal = { y: next.paddle.by, x: next.paddle.bx };
      }
    }
    return contours;
  }

  /** The second target's seed: its tail seedDistance from the first's, in a random direction. */
  private secondSeed(tail1: Point): { growth: Growth; paddle: Paddle; tail: Point } | null {
    const s = this.settings;
    const L = s.paddleLength;
    for (let trial = 0; trial <= s.maxPaddleRetrial; trial++) {
      const angle = (randint(this.random, -180, 180) * Math.PI) / 180;
      const reversed = angle + Math.PI < Math.PI ? angle + Math.PI : angle - Math.PI;
      const direction = (randint(this.random, 0, 360) * Math.PI) / 180;
      const tail = {
        y: roundHalfEven(tail1.y + s.seedDistance * Math.sin(direction)),
        x: roundHalfEven(tail1.x + s.seedDistance * Math.cos(direction)),
      };
      const head = translateCeil(tail, angle, L);
      const pivot = translateCeil(head, reversed, L + this.margin);
      const end = translate(tail, angle, L);
      const paddle: Paddle = { ay: tail.y, ax: tail.x, by: end.y, bx: end.x, contrast: 1 };
      if (!this.inImage(head) || !this.inImage(pivot) || !this.fits(paddle, 1, Number.POSITIVE_INFINITY)) continue;
      return { growth: { contour: 1, pivot, angle, head: end, seq: 0 }, paddle, tail };
    }
    return null;
  }

  /** snakes2's make_many_snakes for one contour: up to `retries` more tries, else none. */
  private retryContour(id: number, role: ContourRole, paddles: number, retries: number): Contour | null {
    const s = this.settings;
    for (let attempt = 0; attempt <= retries; attempt++) {
      const mark = this.index.segments.length;
      const contrast = (): number => s.snakeContrasts[randint(this.random, 0, s.snakeContrasts.length)]!;
      const seeded = this.seed(id, null);
      if (seeded === null) continue;
      seeded.paddle.contrast = contrast();
      this.commit(seeded.growth, seeded.paddle, 0);
      const contour: Contour = {
        role,
        paddles: [seeded.paddle],
        joins: [],
        origin: seeded.tail,
        terminal: { y: seeded.paddle.by, x: seeded.paddle.bx },
      };
      let growth = seeded.growth;
      let complete = true;
      for (let k = 1; k < paddles; k++) {
        const next = this.extend(growth, contrast());
        if (next === null) {
          complete = false;
          break;
        }
        this.commit(growth, next.join, growth.seq + 1);
        this.commit(growth, next.paddle, growth.seq + 2);
        growth = next.growth;
        contour.paddles.push(next.paddle);
        contour.joins.push(next.join);
        contour.terminal = { y: next.paddle.by, x: next.paddle.bx };
      }
      if (complete) return contour;
      this.index.truncate(mark); // snakes2 keeps the image as it was before a failed contour
    }
    return null;
  }
}
