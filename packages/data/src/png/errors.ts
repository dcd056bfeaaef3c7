/** A PNG file this codec cannot read: corrupt, truncated, or of a kind it does not support. */
export class PngError extends Error {
  override readonly name = 'PngError';
  readonly reason: string;

  constructor(reason: string) {
    super(`PNG: ${reason}`);
    this.reason = reason;
  }
}
