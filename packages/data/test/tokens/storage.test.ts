import { describe, expect, it } from 'vitest';
import { STORED_ID_SHIFT, encodeIds, tokenStorageFor } from '../../src/tokens/storage.js';

describe('token storage', () => {
  it('picks the narrowest type for ids 1..vocabSize - 1 stored as id - 1', () => {
    expect(STORED_ID_SHIFT).toBe(1);
    expect(tokenStorageFor(17).type).toBe('uint8'); // ListOps
    expect(tokenStorageFor(257).type).toBe('uint8'); // bytes + 1, grey levels + 1
    expect(tokenStorageFor(258).type).toBe('uint16');
    expect(tokenStorageFor(65_537).type).toBe('uint16');
    expect(tokenStorageFor(65_538).type).toBe('int32');
    expect(() => tokenStorageFor(1)).toThrow('vocabSize must be an integer of at least 2');
  });

  it('stores ids minus one and refuses the padding id or an id beyond the vocabulary', () => {
    const storage = tokenStorageFor(257);
    const out = storage.allocate(4);
    encodeIds([1, 256, 17], out, 1, storage.maxId);
    expect(Array.from(out)).toEqual([0, 0, 255, 16]);
    expect(() => encodeIds([3, 0], out, 0, storage.maxId)).toThrow('token id 0 cannot be stored: ids in a row are 1..256 (0 is padding, never stored)');
    expect(() => encodeIds([257], out, 0, storage.maxId)).toThrow('token id 257 cannot be stored');
  });
});
