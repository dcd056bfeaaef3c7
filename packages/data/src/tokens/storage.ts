import type { TokenArray } from './token-column.js';

/** The element type a cache file stores ids in. */
export type TokenStorageType = 'uint8' | 'uint16' | 'int32';

/**
 * How ids are stored: `stored = id - STORED_ID_SHIFT`. Id 0 is the padding id and never stored
 * (rows are kept unpadded), so every stored id is at least 1 and shifting by one lets a
 * vocabulary of 257 (bytes + 1, grey levels + 1) fit one byte per token: Text, Retrieval, Image,
 * Pathfinder and Path-X all store Uint8, as ListOps (vocabulary 17) does.
 */
export const STORED_ID_SHIFT = 1;

export interface TokenStorage {
  type: TokenStorageType;
  bytesPerToken: 1 | 2 | 4;
  /** The largest id it holds. */
  maxId: number;
  allocate(length: number): TokenArray;
}

const storages: Record<TokenStorageType, TokenStorage> = {
  uint8: { type: 'uint8', bytesPerToken: 1, maxId: 0xff + STORED_ID_SHIFT, allocate: (n) => new Uint8Array(n) },
  uint16: { type: 'uint16', bytesPerToken: 2, maxId: 0xffff + STORED_ID_SHIFT, allocate: (n) => new Uint16Array(n) },
  int32: { type: 'int32', bytesPerToken: 4, maxId: 0x7fffffff, allocate: (n) => new Int32Array(n) },
};

/** The narrowest storage for ids 1..vocabSize - 1: Uint8 up to 257 ids, Uint16 up to 65,537. */
export function tokenStorageFor(vocabSize: number): TokenStorage {
  if (!Number.isInteger(vocabSize) || vocabSize < 2) throw new Error(`vocabSize must be an integer of at least 2, got ${vocabSize}`);
  const maxId = vocabSize - 1;
  if (maxId <= storages.uint8.maxId) return storages.uint8;
  if (maxId <= storages.uint16.maxId) return storages.uint16;
  return storages.int32;
}

export function tokenStorageOfType(type: string): TokenStorage | undefined {
  return Object.hasOwn(storages, type) ? storages[type as TokenStorageType] : undefined;
}

/**
 * Writes `ids` as stored values into `out` from `at`; throws on an id outside 1..maxId (a padding
 * id inside a row, or one the vocabulary does not have), which would otherwise wrap silently.
 */
export function encodeIds(ids: ArrayLike<number>, out: TokenArray, at: number, maxId: number): void {
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (!(id >= 1 && id <= maxId)) {
      throw new RangeError(`token id ${id} cannot be stored: ids in a row are 1..${maxId} (0 is padding, never stored)`);
    }
    out[at + i] = id - STORED_ID_SHIFT;
  }
}
