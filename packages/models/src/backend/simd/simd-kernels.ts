// The project's WebAssembly SIMD kernels (the .wat files here, assembled into *-wasm.ts) run on
// the wasm backend's own heap: each thread instantiates a kernel module once, importing that
// heap's memory, and calls it with byte offsets of tensors. No tfjs import: the heap pool's
// worker threads load this file too.
import * as attentionSoftmaxWasm from './attention-softmax-wasm.js';
import * as binaryWasm from './binary-wasm.js';
import * as columnSumsWasm from './column-sums-wasm.js';
import * as gemmWasm from './gemm-wasm.js';
import * as geluWasm from './gelu-wasm.js';
import * as layerNormWasm from './layer-norm-wasm.js';
import * as modReluWasm from './modrelu-wasm.js';
import * as realFftWasm from './real-fft-wasm.js';
import * as rowsWasm from './rows-wasm.js';
import * as dropoutWasm from './seeded-dropout-wasm.js';
import * as softmaxGradWasm from './softmax-grad-wasm.js';
import * as transposeWasm from './transpose-wasm.js';

// The compiler settings carry no WebAssembly types (no DOM library): what is used is declared here.
interface WasmMemoryObject { readonly buffer: ArrayBufferLike }
type WasmModule = object;
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: object) => { exports: object };
  Memory: abstract new (...args: never[]) => WasmMemoryObject;
};

/** gelu.wat's exports: byte offsets into the heap and element counts. */
export interface GeluSimd {
  gelu(x: number, y: number, n: number): void;
  geluGrad(dy: number, x: number, dx: number, n: number): void;
}

/** seeded-dropout.wat's exports: `groups` runs of 8 elements (4 pairs) from byte offsets x and out (and y, outY: the same mask). */
export interface DropoutSimd {
  dropout(x: number, out: number, groups: number, low: number, multiplier: number, key: number, threshold: number, scale: number): void;
  dropoutPair(x: number, out: number, y: number, outY: number, groups: number, low: number, multiplier: number, key: number, threshold: number, scale: number): void;
}

/** layer-norm.wat's exports: rows of width d (a multiple of 4), byte offsets. */
export interface LayerNormSimd {
  layerNorm(x: number, scale: number, bias: number, y: number, mean: number, rstd: number, rows: number, d: number, eps: number): void;
  layerNormGradDx(dy: number, x: number, scale: number, mean: number, rstd: number, dx: number, rows: number, d: number): void;
}

/** column-sums.wat's exports: widths are multiples of 4; byte offsets; scratch for the float64 sums. */
export interface ColumnSumsSimd {
  /** scratch: 8 x width bytes. */
  sumColumns(x: number, rows: number, rowBytes: number, width: number, out: number, divisor: number, scratch: number): void;
  /** scratch: 16 x width bytes. */
  layerNormColumnSums(dy: number, x: number, mean: number, rstd: number, rows: number, rowBytes: number, width: number, dscale: number, dbias: number, scratch: number): void;
}

/** real-fft.wat's exports: eight rows per call; byte offsets and steps (see the .wat). */
export interface RealFftSimd {
  rfft8(x: number, rowStep: number, sampleStep: number, inLength: number, n: number,
    outRe: number, outIm: number, outRowStep: number, binStep: number, edge: number, interior: number, work: number, twiddles: number): void;
  irfft8(re: number, im: number, inRowStep: number, binStep: number, n: number,
    y: number, outRowStep: number, sampleStep: number, outLength: number, scale: number, interior: number, work: number, twiddles: number): void;
  cfft4(re: number, im: number, laneStep: number, sampleStep: number, n: number, inverse: number, scale: number,
    outRe: number, outIm: number, outLaneStep: number, outSampleStep: number, lanes: number,
    mirror: number, mirrorLaneStep: number, mirrorLanes: number, work: number, twiddles: number): void;
}

/** modrelu.wat's exports: byte offsets of whole tensors, rows [first, last) of `width` (a multiple of 4). */
export interface ModReluSimd {
  modRelu(re: number, im: number, scale: number, bias: number, yRe: number, yIm: number,
    first: number, last: number, width: number, rowsPerExample: number, scalePerExample: number, minMagnitude: number, floor: number): void;
  modReluGrad(dRe: number, dIm: number, re: number, im: number, scale: number, bias: number, dre: number, dim: number, scaleSums: number, biasSums: number,
    first: number, last: number, width: number, rowsPerExample: number, scalePerExample: number, minMagnitude: number, floor: number): void;
}

/** transpose.wat's export: rows and cols multiples of 4; byte offsets; rows [first, last). */
export interface TransposeSimd {
  transpose(from: number, to: number, rows: number, cols: number, first: number, last: number): void;
}

/** softmax-grad.wat's export: rows of n (a multiple of 4); byte offsets. */
export interface SoftmaxGradSimd {
  softmaxGrad(dy: number, y: number, dx: number, rows: number, n: number): void;
}

/** binary.wat's export (see ../wasm/binary-layout.ts): byte offsets; rows [first, last), columns [c0, c1). */
export interface BinarySimd {
  binary(op: number, x: number, y: number, out: number, q: number, width: number, strideP: number, strideQ: number, splat: number,
    first: number, last: number, c0: number, c1: number): void;
}

/** rows.wat's exports: byte offsets; rows of `width` 4-byte values. */
export interface RowsSimd {
  /** out[j] = x[ids[j]] for j in [first, last). */
  gatherRows(x: number, ids: number, out: number, width: number, first: number, last: number): void;
  /** Columns [c0, c1) of out [segments, width]: the rows of x [count, width] summed by ids (float32). */
  segmentSum(x: number, ids: number, out: number, count: number, width: number, segments: number, c0: number, c1: number): void;
}

/** attention-softmax.wat's exports: rows of n (a multiple of 4) in place; byte offsets; stats two floats a row. */
export interface AttentionSoftmaxSimd {
  softmaxRows(s: number, bias: number, stats: number, rows: number, n: number, biased: number): void;
  softmaxRecompute(s: number, bias: number, stats: number, rows: number, n: number, biased: number): void;
}

/** gemm.wat's exports: byte offsets; m a multiple of 4, n of 8; accumulate 1 adds the product to C. */
export interface GemmSimd {
  /** C = A^T B, A [k, m], B [k, n]; columns [first, last) of C (multiples of 8). */
  gemmTN(a: number, b: number, c: number, k: number, m: number, n: number, first: number, last: number, accumulate: number): void;
  /** C = A B, A [m, k], B [k, n]; rows [first, last) of C (multiples of 4). */
  gemmNN(a: number, b: number, c: number, m: number, k: number, n: number, first: number, last: number, accumulate: number): void;
}

interface Assembly {
  SHARED_MEMORY_WASM: string;
  PLAIN_MEMORY_WASM: string;
}

const compiled = new Map<string, WasmModule>();
const instances = new Map<Assembly, WeakMap<object, object | null>>();
let failure: string | undefined;

function compile(base64: string): WasmModule {
  let module = compiled.get(base64);
  if (module === undefined) {
    module = new WebAssembly.Module(Buffer.from(base64, 'base64'));
    compiled.set(base64, module);
  }
  return module;
}

/** Why a SIMD module could not be instantiated, if one could not (else undefined). */
export function simdFailure(): string | undefined {
  return failure;
}

/**
 * The module `assembly` instantiated over `memory` (a WebAssembly.Memory, shared or not), once per
 * memory and thread; null where this engine cannot run it (no SIMD): the JavaScript kernels run.
 */
function instanceFor(assembly: Assembly, memory: object): object | null {
  let perMemory = instances.get(assembly);
  if (perMemory === undefined) instances.set(assembly, (perMemory = new WeakMap()));
  const known = perMemory.get(memory);
  if (known !== undefined) return known;
  let exports: object | null = null;
  try {
    if (!(memory instanceof WebAssembly.Memory)) throw new Error('not a WebAssembly.Memory');
    const shared = memory.buffer instanceof SharedArrayBuffer;
    exports = new WebAssembly.Instance(compile(shared ? assembly.SHARED_MEMORY_WASM : assembly.PLAIN_MEMORY_WASM), { env: { memory } }).exports;
  } catch (error) {
    failure = error instanceof Error ? error.message : String(error);
  }
  perMemory.set(memory, exports);
  return exports;
}

/** gelu.wat over `memory`, or null. */
export function geluSimdFor(memory: object): GeluSimd | null {
  return instanceFor(geluWasm, memory) as GeluSimd | null;
}

/** seeded-dropout.wat over `memory`, or null. */
export function dropoutSimdFor(memory: object): DropoutSimd | null {
  return instanceFor(dropoutWasm, memory) as DropoutSimd | null;
}

/** layer-norm.wat over `memory`, or null; only for widths that are multiples of 4. */
export function layerNormSimdFor(memory: object, d: number): LayerNormSimd | null {
  return d % 4 === 0 ? (instanceFor(layerNormWasm, memory) as LayerNormSimd | null) : null;
}

/** column-sums.wat over `memory`, or null. */
export function columnSumsSimdFor(memory: object): ColumnSumsSimd | null {
  return instanceFor(columnSumsWasm, memory) as ColumnSumsSimd | null;
}

/** real-fft.wat over `memory`, or null. */
export function realFftSimdFor(memory: object): RealFftSimd | null {
  return instanceFor(realFftWasm, memory) as RealFftSimd | null;
}

/** transpose.wat over `memory`, or null. */
export function transposeSimdFor(memory: object): TransposeSimd | null {
  return instanceFor(transposeWasm, memory) as TransposeSimd | null;
}

/** softmax-grad.wat over `memory`, or null; only for rows whose length is a multiple of 4. */
export function softmaxGradSimdFor(memory: object, n: number): SoftmaxGradSimd | null {
  return n % 4 === 0 ? (instanceFor(softmaxGradWasm, memory) as SoftmaxGradSimd | null) : null;
}

/** modrelu.wat over `memory`, or null; only for rows whose width is a multiple of 4. */
export function modReluSimdFor(memory: object, width: number): ModReluSimd | null {
  return width % 4 === 0 ? (instanceFor(modReluWasm, memory) as ModReluSimd | null) : null;
}

/** gemm.wat over `memory`, or null. */
export function gemmSimdFor(memory: object): GemmSimd | null {
  return instanceFor(gemmWasm, memory) as GemmSimd | null;
}

/** binary.wat over `memory`, or null. */
export function binarySimdFor(memory: object): BinarySimd | null {
  return instanceFor(binaryWasm, memory) as BinarySimd | null;
}

/** rows.wat over `memory`, or null. */
export function rowsSimdFor(memory: object): RowsSimd | null {
  return instanceFor(rowsWasm, memory) as RowsSimd | null;
}

/** attention-softmax.wat over `memory`, or null. */
export function attentionSoftmaxSimdFor(memory: object): AttentionSoftmaxSimd | null {
  return instanceFor(attentionSoftmaxWasm, memory) as AttentionSoftmaxSimd | null;
}
