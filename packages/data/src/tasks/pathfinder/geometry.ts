/** A point in pixel coordinates: (y, x) = (row, column), pixel centres at integers. */
export interface Point {
  y: number;
  x: number;
}

/** A straight piece of a contour from a to b. */
export interface Segment {
  ay: number;
  ax: number;
  by: number;
  bx: number;
}

/** snakes2's translate_coord: move `dist` along `angle` (radians, y = sin, x = cos), then ceil. */
export function translateCeil(p: Point, angle: number, dist: number): Point {
  return { y: Math.ceil(p.y + dist * Math.sin(angle)), x: Math.ceil(p.x + dist * Math.cos(angle)) };
}

export function translate(p: Point, angle: number, dist: number): Point {
  return { y: p.y + dist * Math.sin(angle), x: p.x + dist * Math.cos(angle) };
}

/** snakes2's flip_by_pi. */
export function flipAngle(angle: number): number {
  return angle < 0 ? angle + Math.PI : angle - Math.PI;
}

/** The smaller angle between two directions, in [0, pi]. */
export function angleBetween(a: number, b: number): number {
  const d = Math.abs(a - b);
  return Math.min(d, 2 * Math.PI - d);
}

export function pointSegmentDistance(py: number, px: number, s: Segment): number {
  const dy = s.by - s.ay;
  const dx = s.bx - s.ax;
  const len2 = dy * dy + dx * dx;
  let t = len2 === 0 ? 0 : ((py - s.ay) * dy + (px - s.ax) * dx) / len2;
  t = t < 0 ? 0 : t > 1 ? 1 : t;
  const ey = s.ay + t * dy - py;
  const ex = s.ax + t * dx - px;
  return Math.sqrt(ey * ey + ex * ex);
}

function cross(oy: number, ox: number, ay: number, ax: number, by: number, bx: number): number {
  return (ay - oy) * (bx - ox) - (ax - ox) * (by - oy);
}

function segmentsCross(s: Segment, t: Segment): boolean {
  const d1 = cross(t.ay, t.ax, t.by, t.bx, s.ay, s.ax);
  const d2 = cross(t.ay, t.ax, t.by, t.bx, s.by, s.bx);
  const d3 = cross(s.ay, s.ax, s.by, s.bx, t.ay, t.ax);
  const d4 = cross(s.ay, s.ax, s.by, s.bx, t.by, t.bx);
  return ((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0));
}

export function segmentDistance(s: Segment, t: Segment): number {
  if (segmentsCross(s, t)) return 0;
  return Math.min(
    pointSegmentDistance(s.ay, s.ax, t),
    pointSegmentDistance(s.by, s.bx, t),
    pointSegmentDistance(t.ay, t.ax, s),
    pointSegmentDistance(t.by, t.bx, s),
  );
}

/** A piece of a contour as the clearance checks see it. */
export interface IndexedSegment extends Segment {
  contour: number;
  /** Position along its contour: paddles and the joins between them, in order. */
  seq: number;
}

/**
 * Segments bucketed on a square grid, so that a clearance query looks only at the segments
 * near the one asked about. Segments of contour `contour` from position `exemptFrom` on are
 * left out of a query: they are the asking piece's own neighbours along its contour.
 */
export class SegmentIndex {
  readonly segments: IndexedSegment[] = [];
  private readonly cells: number[][];
  private readonly cols: number;
  private stamp = 0;
  private seen = new Int32Array(256);

  constructor(
    readonly side: number,
    readonly cell: number,
  ) {
    this.cols = Math.ceil((side + 2) / cell) + 1;
    this.cells = Array.from({ length: this.cols * this.cols }, () => []);
  }

  private cellOf(v: number): number {
    const c = Math.floor((v + 1) / this.cell);
    return c < 0 ? 0 : c >= this.cols ? this.cols - 1 : c;
  }

  add(s: IndexedSegment): number {
    const id = this.segments.length;
    this.segments.push(s);
    if (id >= this.seen.length) {
      const grown = new Int32Array(this.seen.length * 2);
      grown.set(this.seen);
      this.seen = grown;
    }
    this.seen[id] = 0;
    const r1 = this.cellOf(Math.max(s.ay, s.by));
    const c0 = this.cellOf(Math.min(s.ax, s.bx));
    const c1 = this.cellOf(Math.max(s.ax, s.bx));
    for (let r = this.cellOf(Math.min(s.ay, s.by)); r <= r1; r++) for (let c = c0; c <= c1; c++) this.cells[r * this.cols + c]!.push(id);
    return id;
  }

  /** Removes the segments added last, back to `length` of them (a contour that failed). */
  truncate(length: number): void {
    while (this.segments.length > length) {
      const id = this.segments.length - 1;
      const s = this.segments.pop()!;
      const r1 = this.cellOf(Math.max(s.ay, s.by));
      const c0 = this.cellOf(Math.min(s.ax, s.bx));
      const c1 = this.cellOf(Math.max(s.ax, s.bx));
      for (let r = this.cellOf(Math.min(s.ay, s.by)); r <= r1; r++) {
        for (let c = c0; c <= c1; c++) {
          const list = this.cells[r * this.cols + c]!;
          if (list.at(-1) === id) list.pop();
        }
      }
    }
  }

  /** Whether a counted segment lies closer than `clearance` to `s` (a point when s.a = s.b). */
  anyWithin(s: Segment, clearance: number, contour: number, exemptFrom: number): boolean {
    const stamp = ++this.stamp;
    const isPoint = s.ay === s.by && s.ax === s.bx;
    const r1 = this.cellOf(Math.max(s.ay, s.by) + clearance);
    const c0 = this.cellOf(Math.min(s.ax, s.bx) - clearance);
    const c1 = this.cellOf(Math.max(s.ax, s.bx) + clearance);
    for (let r = this.cellOf(Math.min(s.ay, s.by) - clearance); r <= r1; r++) {
      for (let c = c0; c <= c1; c++) {
        for (const id of this.cells[r * this.cols + c]!) {
          if (this.seen[id] === stamp) continue;
          this.seen[id] = stamp;
          const t = this.segments[id]!;
          if (t.contour === contour && t.seq >= exemptFrom) continue;
          const d = isPoint ? pointSegmentDistance(s.ay, s.ax, t) : segmentDistance(s, t);
          if (d < clearance) return true;
        }
      }
    }
    return false;
  }
}
