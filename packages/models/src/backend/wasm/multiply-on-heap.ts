import { registerRegion, unregisterRegion } from './heap.js';
import type { WasmBackend } from './heap.js';

type ExportedBatchMatMul = (
  aId: number, aShape: Uint8Array, aRank: number,
  bId: number, bShape: Uint8Array, bRank: number,
  transposeA: number, transposeB: number, outId: number,
) => void;

const exportedBatchMatMul = new WeakMap<object, ExportedBatchMatMul>();

// The backend's C++ BatchMatMul hands a product to XNNPACK's GEMM (~28 GFLOP/s here) only when
// both operands are single matrices with no transpose flag; anything else goes to a naive
// blocked loop that runs at 1-2 GFLOP/s. Calling it one untransposed matrix at a time keeps
// every product on the fast path.
function batchMatMulExport(backend: WasmBackend): ExportedBatchMatMul {
  let fn = exportedBatchMatMul.get(backend.wasm);
  if (fn === undefined) {
    fn = backend.wasm.cwrap('BatchMatMul', null, [
      'number', 'array', 'number', 'number', 'array', 'number', 'number', 'number', 'number',
    ]) as ExportedBatchMatMul;
    exportedBatchMatMul.set(backend.wasm, fn);
  }
  return fn;
}

function shapeBytes(shape: number[]): Uint8Array {
  return new Uint8Array(new Int32Array(shape).buffer);
}

/**
 * out = a @ b for row-major matrices a [m, k], b [k, n], out [m, n] that lie anywhere in the wasm
 * heap (arguments are byte offsets). Requires k > 0. Neither operand may overlap the output.
 */
export function multiplyOnHeap(
  backend: WasmBackend,
  aOffset: number, bOffset: number, outOffset: number,
  m: number, k: number, n: number,
): void {
  const aId = registerRegion(backend, aOffset, m * k);
  const bId = registerRegion(backend, bOffset, k * n);
  const outId = registerRegion(backend, outOffset, m * n);
  try {
    batchMatMulExport(backend)(
      aId, shapeBytes([1, m, k]), 3, bId, shapeBytes([1, k, n]), 3, 0, 0, outId,
    );
  } finally {
    // Unregistering b also deletes the XNNPACK operator (packed weights) cached on its id.
    unregisterRegion(backend, aId);
    unregisterRegion(backend, bId);
    unregisterRegion(backend, outId);
  }
}

/**
 * The backend's own blocked loop over a whole batch of equally many a, b and out matrices, as
 * stored ([batch, rows, cols], transposes applied by the loop). Below a few thousand
 * multiply-adds per matrix it beats calling XNNPACK once per matrix, which costs about 3.5 us.
 */
export function multiplyBatchInOneCall(
  backend: WasmBackend,
  aId: number, aShape: [number, number, number], bId: number, bShape: [number, number, number],
  transposeA: boolean, transposeB: boolean, outId: number,
): void {
  batchMatMulExport(backend)(
    aId, shapeBytes(aShape), 3, bId, shapeBytes(bShape), 3,
    transposeA ? 1 : 0, transposeB ? 1 : 0, outId,
  );
}
