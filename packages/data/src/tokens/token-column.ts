/** The typed arrays token ids are kept in: the cache stores them as narrow as the vocabulary allows. */
export type TokenArray = Uint8Array | Uint16Array | Int32Array;

/**
 * A run of consecutive rows kept in one typed array (one record batch of a cache file, or a
 * split built in memory). Row r's ids are `values[offsets[r] .. offsets[r + 1])` plus `shift`,
 * or, for a fixed-length column (`offsets` null), `values[r * width .. (r + 1) * width)` plus
 * `shift`.
 */
export interface TokenChunk {
  rows: number;
  /** rows + 1 indices into `values` (the first need not be 0), or null when every row is `width` long. */
  offsets: Int32Array | null;
  /** The length of every row when `offsets` is null (0 otherwise). */
  width: number;
  values: TokenArray;
  /** Added to every stored value to give the id (the cache stores id - 1; in-memory data 0). */
  shift: number;
}

function chunkTokens(chunk: TokenChunk): number {
  return chunk.offsets === null ? chunk.rows * chunk.width : chunk.offsets[chunk.rows]! - chunk.offsets[0]!;
}

/**
 * One document column of a split (the documents, or a pair task's second documents), read row by
 * row: batching copies rows out of it, so it never needs one array for the whole split. A large
 * cached split is several chunks (one per record batch of its shard files), each a view of the
 * bytes read from disk.
 */
export class TokenColumn {
  readonly count: number;
  /** Ids in all rows; a number, since a split may hold more than 2^31 of them. */
  readonly totalTokens: number;
  /** firstRow[k] = index of chunk k's first row; one more entry = count. */
  private readonly firstRow: Float64Array;
  private lastChunk = 0;

  constructor(readonly chunks: readonly TokenChunk[]) {
    this.firstRow = new Float64Array(chunks.length + 1);
    let rows = 0;
    let tokens = 0;
    chunks.forEach((chunk, k) => {
      if (chunk.offsets !== null && chunk.offsets.length !== chunk.rows + 1) {
        throw new Error(`token chunk ${k}: ${chunk.rows} rows but ${chunk.offsets.length} offsets`);
      }
      const n = chunkTokens(chunk);
      const end = chunk.offsets === null ? n : chunk.offsets[chunk.rows]!;
      if (end > chunk.values.length) throw new Error(`token chunk ${k}: rows reach index ${end} of ${chunk.values.length} values`);
      this.firstRow[k] = rows;
      rows += chunk.rows;
      tokens += n;
    });
    this.firstRow[chunks.length] = rows;
    this.count = rows;
    this.totalTokens = tokens;
  }

  /** A column over flat arrays: row i is `tokens[offsets[i] .. offsets[i + 1])` (+ shift). */
  static flat(offsets: Int32Array, tokens: TokenArray, shift = 0): TokenColumn {
    return new TokenColumn([{ rows: offsets.length - 1, offsets, width: 0, values: tokens, shift }]);
  }

  /** A column of rows that are all `width` ids long, laid end to end in `values` (+ shift). */
  static fixed(width: number, values: TokenArray, shift = 0): TokenColumn {
    const rows = width === 0 ? 0 : Math.floor(values.length / width);
    return new TokenColumn([{ rows, offsets: null, width, values, shift }]);
  }

  /** The chunk holding `row`, and the row's index inside it. */
  private locate(row: number): [TokenChunk, number] {
    if (!(row >= 0 && row < this.count)) throw new RangeError(`row ${row} outside 0..${this.count - 1}`);
    const starts = this.firstRow;
    let k = this.lastChunk;
    // Batches often hit the same chunk many times in a row; otherwise binary search.
    if (!(starts[k]! <= row && row < starts[k + 1]!)) {
      let lo = 0;
      let hi = this.chunks.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (starts[mid]! <= row) lo = mid;
        else hi = mid - 1;
      }
      // Empty chunks share their start with the next one: step to the one that holds the row.
      while (starts[lo + 1]! <= row) lo++;
      k = lo;
      this.lastChunk = k;
    }
    return [this.chunks[k]!, row - starts[k]!];
  }

  /** The number of ids in `row`. */
  length(row: number): number {
    const [chunk, r] = this.locate(row);
    return chunk.offsets === null ? chunk.width : chunk.offsets[r + 1]! - chunk.offsets[r]!;
  }

  /** Copies the first min(length, max) ids of `row` into `out` from index `at`; returns how many. */
  copyRow(row: number, out: Int32Array, at: number, max: number): number {
    const [chunk, r] = this.locate(row);
    const start = chunk.offsets === null ? r * chunk.width : chunk.offsets[r]!;
    const end = chunk.offsets === null ? start + chunk.width : chunk.offsets[r + 1]!;
    const n = Math.min(end - start, max);
    const { values, shift } = chunk;
    if (shift === 0) {
      out.set(values.subarray(start, start + n), at);
    } else {
      for (let i = 0; i < n; i++) out[at + i] = values[start + i]! + shift;
    }
    return n;
  }

  /** The ids of `row` as a new array. */
  row(row: number): Int32Array {
    const out = new Int32Array(this.length(row));
    this.copyRow(row, out, 0, out.length);
    return out;
  }

  /** The largest id in the column (0 when it holds none). */
  largestId(): number {
    let max = 0;
    for (const chunk of this.chunks) {
      const from = chunk.offsets === null ? 0 : chunk.offsets[0]!;
      const to = from + chunkTokens(chunk);
      const { values } = chunk;
      let m = -1;
      for (let i = from; i < to; i++) if (values[i]! > m) m = values[i]!;
      if (m >= 0) max = Math.max(max, m + chunk.shift);
    }
    return max;
  }

  /**
   * The whole column as flat Int32 offsets and ids (copies): for tests and small splits. A column
   * of 2^31 ids or more has no such form (its offsets would overflow Int32).
   */
  toFlat(): { offsets: Int32Array; tokens: Int32Array } {
    if (this.totalTokens > 0x7fffffff) throw new RangeError(`${this.totalTokens} ids do not fit flat Int32 offsets`);
    const offsets = new Int32Array(this.count + 1);
    const tokens = new Int32Array(this.totalTokens);
    let at = 0;
    for (let i = 0; i < this.count; i++) {
      at += this.copyRow(i, tokens, at, Number.POSITIVE_INFINITY);
      offsets[i + 1] = at;
    }
    return { offsets, tokens };
  }
}
