// Longformer's sliding window and global tokens as the Long Range Arena builds them
// (lra_benchmarks/models/longformer/longformer_attention.py).

/**
 * The keys a query at q sees in a window of `window` positions: q - left + 1 .. q + right, with
 * right = floor(window / 2) and left = window - right counting the query itself. For an even
 * window (LRA: 512) that is 255 keys before the query and 256 after it.
 */
export function windowReach(window: number): { before: number; after: number } {
  const after = Math.floor(window / 2);
  return { before: window - after - 1, after };
}

/** The window as allowed pairs [length, length], row-major, 1 where allowed. */
export function slidingWindow(length: number, window: number): Float32Array {
  const { before, after } = windowReach(window);
  const allowed = new Float32Array(length * length);
  for (let q = 0; q < length; q++) {
    const from = Math.max(0, q - before);
    const to = Math.min(length - 1, q + after);
    allowed.fill(1, q * length + from, q * length + to + 1);
  }
  return allowed;
}

/** Global positions: the first `count` (clipped to the length), as a [length] 0/1 vector. */
export function globalPositions(length: number, count: number): Float32Array {
  const global = new Float32Array(length);
  global.fill(1, 0, Math.min(count, length));
  return global;
}
