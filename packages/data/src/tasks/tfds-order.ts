import { createHash } from 'node:crypto';

/**
 * The order TFDS writes records in: ascending MD5 of the salt (the split name) followed by the
 * key, read as a 128-bit big-endian integer (tfds.core.hashing.Hasher). Returns the permutation:
 * `order[k]` is the index in `keys` of the k-th record.
 */
export function tfdsRecordOrder(keys: readonly string[], salt: string): Int32Array {
  const n = keys.length;
  const digests = Buffer.alloc(n * 16);
  const lead = new Float64Array(n);
  const seed = createHash('md5').update(salt, 'utf8');
  for (let i = 0; i < n; i++) {
    const digest = seed.copy().update(keys[i]!.replaceAll('\\', '/'), 'utf8').digest();
    digest.copy(digests, i * 16);
    lead[i] = digest.readUIntBE(0, 6);
  }
  const order = Int32Array.from({ length: n }, (_, i) => i);
  order.sort((a, b) => {
    const d = lead[a]! - lead[b]!;
    if (d !== 0) return d;
    return Buffer.compare(digests.subarray(a * 16, a * 16 + 16), digests.subarray(b * 16, b * 16 + 16));
  });
  return order;
}
