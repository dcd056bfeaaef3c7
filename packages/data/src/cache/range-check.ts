import { CacheError } from '../errors.js';
import type { TokenColumn } from '../tokens/token-column.js';
import type { SplitData } from '../types.js';

/**
 * Checks the values of a split loaded from a cache file: every label in 0..numClasses-1 and every
 * token id in 1..vocabSize-1. A file trusted by its stamp (size and mtime) is not hashed, so this
 * is what stops a changed file from reaching training as a loss of 0 on a label the classifier
 * does not have, or a gather past the embedding table. One pass over typed arrays: cheap beside
 * reading the file.
 */
export function checkSplitRanges(path: string, data: SplitData, vocabSize: number, numClasses: number): void {
  if (!Number.isInteger(vocabSize) || !Number.isInteger(numClasses))
    throw new CacheError(path, `its manifest gives no vocabSize or numClasses (${vocabSize}, ${numClasses}) to check the file against; prepare the cache again (lra data prepare)`);
  const { labels } = data;
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i]!;
    if (!(label >= 0 && label < numClasses)) {
      throw new CacheError(path, `row ${i + 1}: label ${label} is outside 0..${numClasses - 1}; prepare the cache again (lra data prepare)`);
    }
  }
  checkIds(path, data.documents, vocabSize, 'tokens');
  if (data.documents2 !== undefined) checkIds(path, data.documents2, vocabSize, 'tokens2');
}

function checkIds(path: string, column: TokenColumn, vocabSize: number, name: string): void {
  let firstRow = 0;
  for (const chunk of column.chunks) {
    const start = chunk.offsets === null ? 0 : chunk.offsets[0]!;
    const end = chunk.offsets === null ? chunk.rows * chunk.width : chunk.offsets[chunk.rows]!;
    // Bounds on the stored values, so the loop compares without adding the shift each time.
    const low = 1 - chunk.shift;
    const high = vocabSize - 1 - chunk.shift;
    const values = chunk.values;
    for (let k = start; k < end; k++) {
      const v = values[k]!;
      if (v < low || v > high) {
        const row = firstRow + rowOf(chunk.offsets, chunk.width, k, chunk.rows);
        throw new CacheError(
          path,
          `row ${row + 1}: ${name} id ${v + chunk.shift} is outside 1..${vocabSize - 1} (the vocabulary has ${vocabSize} ids); prepare the cache again (lra data prepare)`,
        );
      }
    }
    firstRow += chunk.rows;
  }
}

/** The row of a chunk that holds value index `k` (only computed for the error message). */
function rowOf(offsets: Int32Array | null, width: number, k: number, rows: number): number {
  if (offsets === null) return Math.floor(k / width);
  let r = 0;
  while (r + 1 < rows && offsets[r + 1]! <= k) r++;
  return r;
}
