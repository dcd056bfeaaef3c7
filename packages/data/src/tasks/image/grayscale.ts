/**
 * CIFAR-10 grey levels exactly as LRA computes them: `tf.cast(tf.image.rgb_to_grayscale(x),
 * tf.int32)` on uint8 images. rgb_to_grayscale converts uint8 to float32 (v * (1/255)), takes the
 * weighted sum 0.2989 R + 0.5870 G + 0.1140 B in float32, and converts back to uint8 by
 * multiplying by 255.5 and casting, which TRUNCATES. Rounding instead would change half of all
 * colours by one level; float64 arithmetic instead changes 237 of the 16.7M colours. This
 * evaluates every step in float32 (Math.fround), summing R + G first, then B.
 */
export const GRAY_WEIGHTS = [0.2989, 0.587, 0.114] as const;

const f32 = Math.fround;
const INV_255 = f32(1 / 255);
const SCALE = f32(255.5);

/** weighted[c][v] = float32(float32(v / 255) * w_c): the per-channel terms, 3 x 256. */
const weighted = GRAY_WEIGHTS.map((w) => {
  const wf = f32(w);
  return Float32Array.from({ length: 256 }, (_, v) => f32(f32(v * INV_255) * wf));
});
const [RED, GREEN, BLUE] = weighted as [Float32Array, Float32Array, Float32Array];

/** The grey level (0..255) LRA gives the colour (r, g, b). */
export function lraGray(r: number, g: number, b: number): number {
  const sum = f32(f32(RED[r]! + GREEN[g]!) + BLUE[b]!);
  return Math.trunc(f32(sum * SCALE));
}

/**
 * Grey levels of one planar CIFAR image (1024 R, then 1024 G, then 1024 B bytes, row-major)
 * written to `out[0..1024)` plus `offset`.
 */
export function grayPlanar(pixels: Uint8Array, out: Int32Array, offset = 0): void {
  const n = pixels.length / 3;
  for (let i = 0; i < n; i++) {
    const sum = f32(f32(RED[pixels[i]!]! + GREEN[pixels[n + i]!]!) + BLUE[pixels[2 * n + i]!]!);
    out[i] = Math.trunc(f32(sum * SCALE)) + offset;
  }
}
