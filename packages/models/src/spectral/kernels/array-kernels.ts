// Spectral kernels for backends whose tensors are readable as float32 arrays (cpu, wasm): shape
// logic here, the transforms in ../plan.
import type { KernelFunc, NamedAttrMap } from '@tensorflow/tfjs';
import { dctRows, idctRows } from '../plan/dct-rows.js';
import { fftRows } from '../plan/complex-rows.js';
import { fnetMixRows } from '../plan/fnet-mix-rows.js';
import { irfftRows, rfftBins, rfftRows } from '../plan/real-rows.js';
import { heapThreads, splitFft, splitFnetMix, splitIrfft, splitRfft } from '../../backend/parallel/heap-pool.js';
import { complexScratchFloats, fftRowsSimd, fnetMixSimd, fnetScratchFloats, simdComplexApplies, simdFnetApplies, writeFnetTwiddles } from '../../backend/simd/complex-fft-rows.js';
import { heapMemoryOf } from '../../backend/simd/heap-simd.js';
import { irfftRowsSimd, rfftRowsSimd, simdFftApplies, simdFftScratchFloats, twiddles, writeTwiddles } from '../../backend/simd/real-fft-rows.js';
import { realFftSimdFor, type RealFftSimd } from '../../backend/simd/simd-kernels.js';
import { arrayKernelFunction, type ArrayComputation, type ArrayMemory } from './array-memory.js';
import {
  DCT_KERNEL,
  FFT_KERNEL,
  FNET_MIX_KERNEL,
  IRFFT_KERNEL,
  KERNEL_INPUTS,
  RFFT_KERNEL,
  type DctAttrs,
  type FftAttrs,
  type IrfftAttrs,
  type RfftAttrs,
  type SpectralKernelName,
} from './kernel-names.js';

type ArrayKernel = ArrayComputation;

function lastDim(shape: number[]): number {
  if (shape.length === 0) throw new Error('spectral kernels need tensors of rank >= 1');
  return shape[shape.length - 1]!;
}

function leadingRows(shape: number[], trailingAxes = 1): number {
  return shape.slice(0, shape.length - trailingAxes).reduce((a, b) => a * b, 1);
}

function withLastDim(shape: number[], last: number): number[] {
  return [...shape.slice(0, -1), last];
}

/**
 * The transform axis of a real-transform kernel's tensor: the last, or with `inner` > 1 the middle
 * of [outer, length, inner]. Returns the rows (transforms) and the axis's length.
 */
function transformRows(kernel: string, shape: number[], inner: number): { rows: number; length: number } {
  if (inner === 1) return { rows: leadingRows(shape), length: lastDim(shape) };
  if (shape.length !== 3 || shape[2] !== inner) {
    throw new Error(`${kernel}: with inner ${inner} the input must be [outer, length, ${inner}], got [${shape.join(', ')}]`);
  }
  return { rows: shape[0]! * inner, length: shape[1]! };
}

/** shape with its transform axis (see transformRows) set to `length`. */
function withTransformLength(shape: number[], inner: number, length: number): number[] {
  return inner === 1 ? withLastDim(shape, length) : [shape[0]!, length, inner];
}

/**
 * The SIMD module and work area for a real transform on the wasm heap (see
 * ../../backend/simd/real-fft-rows.ts), or null: cpu, lengths that are not powers of two, fewer
 * than eight rows, or an inner width that is not a multiple of eight.
 */
/** The FFT module over the wasm heap, where every array lies on it; else null (cpu). */
function simdOver(arrays: Float32Array[]): RealFftSimd | null {
  const memory = heapMemoryOf(arrays);
  return memory === undefined ? null : realFftSimdFor(memory);
}

function simdFft(arrays: Float32Array[], scratch: Float32Array | undefined, n: number, rows: number, inner: number): { simd: RealFftSimd; scratch: Float32Array } | null {
  if (scratch === undefined || !simdFftApplies(n, rows, inner)) return null;
  const simd = simdOver([...arrays, scratch]);
  if (simd === null) return null;
  writeTwiddles(scratch, n);
  return { simd, scratch };
}

/** The work area a real transform of these rows wants on wasm (0 where the SIMD path does not apply). */
function realScratchFloats(shape: number[], n: number, inner: number, kernel: string): number {
  const { rows } = transformRows(kernel, shape, inner);
  return simdFftApplies(n, rows, inner) ? simdFftScratchFloats(n, heapThreads()) : 0;
}

const rfftKernel: ArrayKernel = {
  outputShapes([x], attrs) {
    const { fftLength, inputLength, inner = 1 } = attrs as RfftAttrs;
    const { length } = transformRows(RFFT_KERNEL, x!, inner);
    // The declared input length must be the real one: the gradient relies on it.
    if (length !== inputLength) {
      throw new Error(`${RFFT_KERNEL}: inputLength ${inputLength} does not match the input's transform axis ${length}`);
    }
    const shape = withTransformLength(x!, inner, rfftBins(fftLength));
    return [shape, shape];
  },
  scratchFloats([x], attrs) {
    const { fftLength, inner = 1 } = attrs as RfftAttrs;
    return realScratchFloats(x!, fftLength, inner, RFFT_KERNEL);
  },
  compute([x], [shape], [re, im], attrs, scratch) {
    const { fftLength, scale, interiorWeight, inner = 1 } = attrs as RfftAttrs;
    const { rows, length } = transformRows(RFFT_KERNEL, shape!, inner);
    const fast = simdFft([x!, re!, im!], scratch, fftLength, rows, inner);
    // Rows on the wasm heap's threads where there are some (parallel/heap-pool.ts), else here.
    if (splitRfft(x!, rows, length, fftLength, re!, im!, scale, interiorWeight, inner, fast?.scratch.byteOffset ?? -1)) return;
    if (fast !== null) {
      rfftRowsSimd({ simd: fast.simd, scratchAt: fast.scratch.byteOffset, part: 0, groups: [0, rows >> 3] }, x!, rows, length, fftLength, re!, im!, scale, interiorWeight, inner);
    } else {
      rfftRows(x!, rows, length, fftLength, re!, im!, scale, interiorWeight, { inner });
    }
  },
};

const irfftKernel: ArrayKernel = {
  outputShapes([re], attrs) {
    const { outLength, inner = 1 } = attrs as IrfftAttrs;
    transformRows(IRFFT_KERNEL, re!, inner);
    return [withTransformLength(re!, inner, outLength)];
  },
  scratchFloats([re], attrs) {
    const { fftLength, inner = 1 } = attrs as IrfftAttrs;
    return realScratchFloats(re!, fftLength, inner, IRFFT_KERNEL);
  },
  compute([re, im], [shape], [y], attrs, scratch) {
    const { fftLength, outLength, scale, interiorWeight, inner = 1 } = attrs as IrfftAttrs;
    const { rows, length } = transformRows(IRFFT_KERNEL, shape!, inner);
    if (length !== rfftBins(fftLength)) {
      throw new Error(`${IRFFT_KERNEL}: expected ${rfftBins(fftLength)} bins, got ${length}`);
    }
    const fast = simdFft([re!, im!, y!], scratch, fftLength, rows, inner);
    if (splitIrfft(re!, im!, rows, fftLength, y!, outLength, scale, interiorWeight, inner, fast?.scratch.byteOffset ?? -1)) return;
    if (fast !== null) {
      irfftRowsSimd({ simd: fast.simd, scratchAt: fast.scratch.byteOffset, part: 0, groups: [0, rows >> 3] }, re!, im!, rows, fftLength, y!, outLength, scale, interiorWeight, inner);
    } else {
      irfftRows(re!, im!, rows, fftLength, y!, outLength, scale, interiorWeight, { inner });
    }
  },
};

const fftKernel: ArrayKernel = {
  outputShapes([re]) {
    return [re!, re!];
  },
  scratchFloats([re]) {
    const n = lastDim(re!);
    return simdComplexApplies(n, leadingRows(re!)) ? complexScratchFloats(n, heapThreads()) : 0;
  },
  compute([re, im], [shape], [outRe, outIm], attrs, scratch) {
    const { inverse, scale } = attrs as FftAttrs;
    const rows = leadingRows(shape!);
    const n = lastDim(shape!);
    const simd = scratch !== undefined && simdComplexApplies(n, rows) ? simdOver([re!, im!, outRe!, outIm!, scratch]) : null;
    if (simd !== null) scratch!.set(twiddles(n));
    const scratchAt = simd === null ? -1 : scratch!.byteOffset;
    if (splitFft(re!, im!, rows, n, outRe!, outIm!, inverse, scale, scratchAt)) return;
    if (simd !== null) fftRowsSimd({ simd, scratchAt, part: 0, groups: [0, rows >> 2] }, re!, im!, rows, n, outRe!, outIm!, inverse, scale);
    else fftRows(re!, im!, rows, n, outRe!, outIm!, inverse, scale);
  },
};

const dctKernel: ArrayKernel = {
  outputShapes([x]) {
    return [x!];
  },
  compute([x], [shape], [y], attrs) {
    const rows = leadingRows(shape!);
    const n = lastDim(shape!);
    if ((attrs as DctAttrs).inverse) idctRows(x!, rows, n, y!);
    else dctRows(x!, rows, n, y!);
  },
};

const fnetMixKernel: ArrayKernel = {
  outputShapes([x]) {
    if (x!.length < 2) throw new Error(`${FNET_MIX_KERNEL} needs rank >= 2, got shape [${x!.join(', ')}]`);
    return [x!];
  },
  scratchFloats([x]) {
    const [N, D] = x!.slice(-2) as [number, number];
    return simdFnetApplies(N, D) ? fnetScratchFloats(N, D, heapThreads()) : 0;
  },
  compute([x], [shape], [y], _attrs, scratch) {
    const D = shape![shape!.length - 1]!;
    const N = shape![shape!.length - 2]!;
    const batch = leadingRows(shape!, 2);
    const simd = scratch !== undefined && simdFnetApplies(N, D) ? simdOver([x!, y!, scratch]) : null;
    if (simd !== null) writeFnetTwiddles(scratch!, N, D);
    const scratchAt = simd === null ? -1 : scratch!.byteOffset;
    if (splitFnetMix(x!, batch, N, D, y!, scratchAt)) return;
    if (simd !== null) fnetMixSimd({ simd, scratchAt, part: 0, batch: [0, batch] }, x!, N, D, y!);
    else fnetMixRows(x!, batch, N, D, y!);
  },
};

const ARRAY_KERNELS: Record<SpectralKernelName, ArrayKernel> = {
  [RFFT_KERNEL]: rfftKernel,
  [IRFFT_KERNEL]: irfftKernel,
  [FFT_KERNEL]: fftKernel,
  [DCT_KERNEL]: dctKernel,
  [FNET_MIX_KERNEL]: fnetMixKernel,
};

/** The kernel function of `name` on a backend with the given memory access. */
export function arrayKernelFunc(name: SpectralKernelName, memory: ArrayMemory): KernelFunc {
  return arrayKernelFunction(name, KERNEL_INPUTS[name], ARRAY_KERNELS[name], memory);
}
