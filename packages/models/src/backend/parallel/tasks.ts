// The work the heap's threads share (heap-pool.ts on the main thread, heap-worker.ts on the
// others): each job is one kernel call split into `parts` contiguous slices; slice 0 runs on the
// main thread. A job is described by numbers in a shared Float64Array, so that no message (and
// no event loop) is needed to hand it over: tfjs kernels are synchronous.
import { layerNormGradRowSums, layerNormRows } from '../fused/layer-norm-rows.js';
import { ADAMW_ATTR_ORDER, adamWValues, type AdamWAttrs } from '../fused/adamw-values.js';
import {
  BACKWARD_FIELDS, FORWARD_FIELDS, attentionBackwardSlice, attentionForwardSlice, backwardScratchFloats, forwardScratchFloats, forwardUnits,
  type AttentionBackwardJob, type AttentionForwardJob,
} from '../fused/attention-rows.js';
import { applySeededDropout } from '../fused/seeded-dropout-mask.js';
import { decodeJob } from './job-fields.js';
import { modReluGradSlice, modReluSlice, type ModReluLayout } from '../fused/modrelu-rows.js';
import { softmaxGradRows } from '../fused/softmax-grad-rows.js';
import { fftRows } from '../../spectral/plan/complex-rows.js';
import { fnetMixRows } from '../../spectral/plan/fnet-mix-rows.js';
import { fftRowsSimd, fnetMixSimd } from '../simd/complex-fft-rows.js';
import { irfftRowsSimd, rfftRowsSimd } from '../simd/real-fft-rows.js';
import { binarySimdFor, columnSumsSimdFor, dropoutSimdFor, gemmSimdFor, geluSimdFor, layerNormSimdFor, modReluSimdFor, realFftSimdFor, rowsSimdFor, softmaxGradSimdFor, type RealFftSimd } from '../simd/simd-kernels.js';
import { productUnits, runProductSlice } from '../wasm/simd-product-slices.js';
import { reduceBlocks, reduceSlice, sumColumnBlocks } from '../wasm/reduce-blocks.js';
import { irfftRows, rfftBins, rfftRows } from '../../spectral/plan/real-rows.js';

export const TASK = { stop: 0, seededDropout: 1, softmaxGrad: 2, rfft: 3, irfft: 4, fnetMix: 5, layerNorm: 6, layerNormGrad: 7, reduce: 8, gelu: 9, geluGrad: 10, fft: 11, gemm: 12, modRelu: 13, modReluGrad: 14, binary: 15, gatherRows: 16, segmentSum: 17, adamW: 18, attention: 19, attentionGrad: 20 } as const;

/** Doubles of a job: the task, then its arguments. */
export const JOB_LENGTH = 20;

const floats = (heap: ArrayBufferLike, byteOffset: number, first: number, length: number) => new Float32Array(heap, byteOffset + 4 * first, length);

/** Most slices of a job: the wasm build's threads. */
export const MAX_PARTS = 8;

/** Widest layer norm whose gradient is split: each slice has 2 x this many doubles of scratch. */
export const MAX_SUMS_WIDTH = 8192;

/** Doubles of the shared scratch where the slices leave partial sums (2 x width per slice). */
export const SCRATCH_LENGTH = MAX_PARTS * 2 * MAX_SUMS_WIDTH;

/** Slots of the shared Int32Array that orders the threads. */
export const CONTROL = {
  /** Bumped once per job; the workers wait on it. */
  generation: 0,
  /** Slices of the current job finished; the main thread waits for all of them. */
  done: 1,
  /** Set by a thread whose slice threw. */
  failed: 2,
  /** One slot per slice: -g while slice of job g is free, g once a thread has taken it. */
  claims: 3,
  length: 3 + MAX_PARTS,
} as const;

/**
 * Takes slice `part` of job `generation` for the calling thread. A worker takes its own slice;
 * the main thread, done with slice 0, takes every slice no worker has taken yet, so a worker
 * that another process keeps off its core delays nothing. A worker that wakes after its job is
 * gone finds nothing to take.
 */
export function claimSlice(control: Int32Array, part: number, generation: number): boolean {
  return Atomics.compareExchange(control, CONTROL.claims + part, -generation, generation) === -generation;
}

/** [start, end) of slice `part` of `count` items in `parts` near-equal slices, starts on multiples of `align`. */
export function partRange(count: number, parts: number, part: number, align = 1): [number, number] {
  const at = (k: number) => (k >= parts ? count : Math.min(count, Math.floor((count * k) / parts / align) * align));
  return [at(part), at(part + 1)];
}

/**
 * Rows [first, last) and columns [c0, c1) of slice `part` of an element-wise job (binary.wat):
 * by rows where there are enough, else by columns in fours.
 */
export function binarySlice(rows: number, width: number, part: number, parts: number): [number, number, number, number] {
  if (rows >= 4 * parts) return [...partRange(rows, parts, part), 0, width];
  return [0, rows, ...partRange(width, parts, part, 4)];
}

/** The real-FFT SIMD module over the heap, which a job that asks for it must have. */
function realFftSimd(memory: object | undefined): RealFftSimd {
  const simd = memory === undefined ? null : realFftSimdFor(memory);
  if (simd === null) throw new Error('the SIMD real FFT needs the heap memory');
  return simd;
}

/**
 * Runs slice `part` of the job in `job` over the heap `heap`. Results do not depend on `parts`,
 * except the partial sums a slice leaves in `scratch` (layer norm's gradient), which the main
 * thread adds in slice order. `memory` (the heap's WebAssembly.Memory) is for the SIMD kernels.
 */
export function runPart(heap: ArrayBufferLike, job: Float64Array, part: number, parts: number, scratch?: Float64Array, memory?: object): void {
  switch (job[0]) {
    case TASK.seededDropout: {
      const [, xAt, outAt, size, seed, rate, offset] = job as unknown as number[];
      // Pairs of elements share one hash: slices start on even elements, each hash computed once.
      const [start, end] = partRange(size!, parts, part, 2);
      if (end <= start) return;
      const x = new Float32Array(heap, xAt! + 4 * start, end - start);
      const out = new Float32Array(heap, outAt! + 4 * start, end - start);
      // The mask is a function of the element's index in the whole tensor: `offset` places the slice.
      applySeededDropout(x, out, { seed: seed!, rate: rate!, offset: offset! + start }, memory === undefined ? null : dropoutSimdFor(memory));
      return;
    }
    case TASK.softmaxGrad: {
      const [, dyAt, yAt, dxAt, rows, n] = job as unknown as number[];
      const [first, last] = partRange(rows!, parts, part);
      if (last <= first) return;
      const length = (last - first) * n!;
      const at = 4 * first * n!;
      const simd = memory === undefined ? null : softmaxGradSimdFor(memory, n!);
      if (simd !== null) {
        simd.softmaxGrad(dyAt! + at, yAt! + at, dxAt! + at, last - first, n!);
        return;
      }
      softmaxGradRows(new Float32Array(heap, dyAt! + at, length), new Float32Array(heap, yAt! + at, length), last - first, n!, new Float32Array(heap, dxAt! + at, length));
      return;
    }
    case TASK.rfft: {
      const [, xAt, reAt, imAt, rows, inLength, n, scale, interiorWeight, inner, scratchAt] = job as unknown as number[];
      const h = rfftBins(n!);
      const [x, re, im] = [floats(heap, xAt!, 0, rows! * inLength!), floats(heap, reAt!, 0, rows! * h), floats(heap, imAt!, 0, rows! * h)];
      if (scratchAt! >= 0) {
        // SIMD: slices of groups of eight rows, each thread in its own work buffers.
        const groups = partRange(rows! >> 3, parts, part);
        if (groups[1] > groups[0] || (part === parts - 1 && rows! % 8 !== 0)) rfftRowsSimd({ simd: realFftSimd(memory), scratchAt: scratchAt!, part, groups }, x, rows!, inLength!, n!, re, im, scale!, interiorWeight!, inner!);
        return;
      }
      // Rows go through the FFT in pairs, and a row's rounding depends on its partner: slices
      // keep the pairs of one pass. Each slice sees the whole tensors (its rows may be strided).
      const [first, last] = partRange(rows!, parts, part, 2);
      if (last <= first) return;
      rfftRows(x, rows!, inLength!, n!, re, im, scale!, interiorWeight!, { inner: inner!, first, last });
      return;
    }
    case TASK.irfft: {
      const [, reAt, imAt, yAt, rows, n, outLength, scale, interiorWeight, inner, scratchAt] = job as unknown as number[];
      const h = rfftBins(n!);
      const [re, im, y] = [floats(heap, reAt!, 0, rows! * h), floats(heap, imAt!, 0, rows! * h), floats(heap, yAt!, 0, rows! * outLength!)];
      if (scratchAt! >= 0) {
        const groups = partRange(rows! >> 3, parts, part);
        if (groups[1] > groups[0] || (part === parts - 1 && rows! % 8 !== 0)) irfftRowsSimd({ simd: realFftSimd(memory), scratchAt: scratchAt!, part, groups }, re, im, rows!, n!, y, outLength!, scale!, interiorWeight!, inner!);
        return;
      }
      const [first, last] = partRange(rows!, parts, part, 2);
      if (last <= first) return;
      irfftRows(re, im, rows!, n!, y, outLength!, scale!, interiorWeight!, { inner: inner!, first, last });
      return;
    }
    case TASK.fnetMix: {
      const [, xAt, yAt, batch, N, D, scratchAt] = job as unknown as number[];
      const [first, last] = partRange(batch!, parts, part);
      if (last <= first) return;
      const size = N! * D!;
      if (scratchAt! >= 0) {
        fnetMixSimd({ simd: realFftSimd(memory), scratchAt: scratchAt!, part, batch: [first, last] }, floats(heap, xAt!, 0, batch! * size), N!, D!, floats(heap, yAt!, 0, batch! * size));
        return;
      }
      fnetMixRows(floats(heap, xAt!, first * size, (last - first) * size), last - first, N!, D!, floats(heap, yAt!, first * size, (last - first) * size));
      return;
    }
    case TASK.fft: {
      const [, reAt, imAt, outReAt, outImAt, rows, n, inverse, scale, scratchAt] = job as unknown as number[];
      const all = (at: number) => floats(heap, at, 0, rows! * n!);
      if (scratchAt! >= 0) {
        const groups = partRange(rows! >> 2, parts, part);
        if (groups[1] > groups[0] || (part === parts - 1 && rows! % 4 !== 0)) {
          fftRowsSimd({ simd: realFftSimd(memory), scratchAt: scratchAt!, part, groups }, all(reAt!), all(imAt!), rows!, n!, all(outReAt!), all(outImAt!), inverse === 1, scale!);
        }
        return;
      }
      const [first, last] = partRange(rows!, parts, part);
      if (last <= first) return;
      const slice = (at: number) => floats(heap, at, first * n!, (last - first) * n!);
      fftRows(slice(reAt!), slice(imAt!), last - first, n!, slice(outReAt!), slice(outImAt!), inverse === 1, scale!);
      return;
    }
    case TASK.layerNorm: {
      const [, xAt, scaleAt, biasAt, yAt, meanAt, rstdAt, rows, d, eps] = job as unknown as number[];
      const [first, last] = partRange(rows!, parts, part);
      if (last <= first) return;
      const count = last - first;
      const simd = memory === undefined ? null : layerNormSimdFor(memory, d!);
      if (simd !== null) {
        simd.layerNorm(xAt! + 4 * first * d!, scaleAt!, biasAt!, yAt! + 4 * first * d!, meanAt! + 4 * first, rstdAt! + 4 * first, count, d!, eps!);
        return;
      }
      layerNormRows(floats(heap, xAt!, first * d!, count * d!), floats(heap, scaleAt!, 0, d!), floats(heap, biasAt!, 0, d!), d!, eps!,
        floats(heap, yAt!, first * d!, count * d!), floats(heap, meanAt!, first, count), floats(heap, rstdAt!, first, count));
      return;
    }
    case TASK.layerNormGrad: {
      const [, dyAt, xAt, scaleAt, meanAt, rstdAt, dxAt, rows, d, dscaleAt, dbiasAt, sumsAt] = job as unknown as number[];
      const simd = memory === undefined ? null : layerNormSimdFor(memory, d!);
      const sums = memory === undefined ? null : columnSumsSimdFor(memory);
      if (dscaleAt! >= 0 && simd !== null && sums !== null) {
        // SIMD: this slice's rows of dx, and this slice's columns of the scale and bias
        // gradients over all rows, so every output is one thread's, whatever the count.
        const [first, last] = partRange(rows!, parts, part);
        if (last > first) simd.layerNormGradDx(dyAt! + 4 * first * d!, xAt! + 4 * first * d!, scaleAt!, meanAt! + 4 * first, rstdAt! + 4 * first, dxAt! + 4 * first * d!, last - first, d!);
        const [c0, c1] = partRange(d!, parts, part, 8);
        if (c1 > c0) sums.layerNormColumnSums(dyAt! + 4 * c0, xAt! + 4 * c0, meanAt!, rstdAt!, rows!, 4 * d!, c1 - c0, dscaleAt! + 4 * c0, dbiasAt! + 4 * c0, sumsAt! + 16 * c0);
        return;
      }
      if (scratch === undefined || 2 * d! * parts > scratch.length) throw new Error('layer norm gradient: no room for the partial sums');
      // This slice's column sums, zeroed even for a slice with no rows: the main thread adds them all.
      const scaleSums = scratch.subarray(2 * d! * part, 2 * d! * part + d!);
      const biasSums = scratch.subarray(2 * d! * part + d!, 2 * d! * (part + 1));
      scaleSums.fill(0);
      biasSums.fill(0);
      const [first, last] = partRange(rows!, parts, part);
      if (last <= first) return;
      const count = last - first;
      const block = (at: number) => floats(heap, at, first * d!, count * d!);
      layerNormGradRowSums(block(dyAt!), block(xAt!), floats(heap, scaleAt!, 0, d!), floats(heap, meanAt!, first, count), floats(heap, rstdAt!, first, count), d!,
        block(dxAt!), scaleSums, biasSums);
      return;
    }
    case TASK.reduce: {
      const [, fromAt, toAt, outer, reduced, inner, divisor, scratchAt] = job as unknown as number[];
      const range = reduceSlice(outer!, inner!, part, parts, partRange);
      if (range.outerLast <= range.outerFirst || range.innerLast <= range.innerFirst) return;
      const sums = memory === undefined || inner! % 4 !== 0 ? null : columnSumsSimdFor(memory);
      if (sums !== null) {
        // Each slice's float64 sums in its own part of the scratch (columnSumsScratchFloats).
        sumColumnBlocks(sums, fromAt!, toAt!, reduced!, inner!, divisor!, range, scratchAt! + 8 * inner! * part);
        return;
      }
      // Offsets from the heap's start: the input and output lie apart, anywhere on it.
      const heapFloats = new Float32Array(heap, 0, heap.byteLength >> 2);
      reduceBlocks(heapFloats, fromAt! / 4, toAt! / 4, outer!, reduced!, inner!, divisor!, range);
      return;
    }
    case TASK.gelu:
    case TASK.geluGrad: {
      const [task, size, outAt, aAt, bAt] = job as unknown as number[];
      const simd = memory === undefined ? null : geluSimdFor(memory);
      if (simd === null) throw new Error('the GELU task needs the SIMD kernels over the heap memory');
      // Slices of whole groups of four: each element goes through the same lanes as on one thread.
      const [start, end] = partRange(size!, parts, part, 4);
      if (end <= start) return;
      const at = (base: number) => base + 4 * start;
      if (task === TASK.gelu) simd.gelu(at(aAt!), at(outAt!), end - start);
      else simd.geluGrad(at(aAt!), at(bAt!), at(outAt!), end - start);
      return;
    }
    case TASK.gemm: {
      const [, aAt, bAt, cAt, m, k, n, batch, aStride, bStride, transposeA] = job as unknown as number[];
      const simd = memory === undefined ? null : gemmSimdFor(memory);
      if (simd === null) throw new Error('the product task needs the SIMD products over the heap memory');
      runProductSlice(simd, { aAt: aAt!, bAt: bAt!, cAt: cAt!, m: m!, k: k!, n: n!, batch: batch!, aStride: aStride!, bStride: bStride!, transposeA: transposeA === 1 }, partRange(productUnits(batch!, m!, n!, transposeA === 1), parts, part));
      return;
    }
    case TASK.modRelu: {
      const [, reAt, imAt, scaleAt, biasAt, yReAt, yImAt, rows, ...rest] = job as unknown as number[];
      const layout = modReluLayout(rest);
      const [first, last] = partRange(rows!, parts, part);
      if (last <= first) return;
      const [spectrum, scaleRows] = [rows! * layout.width, layout.scalePerExample ? rows! : layout.rowsPerExample];
      modReluSlice(memory === undefined ? null : modReluSimdFor(memory, layout.width), floats(heap, reAt!, 0, spectrum), floats(heap, imAt!, 0, spectrum), floats(heap, scaleAt!, 0, scaleRows), floats(heap, biasAt!, 0, layout.rowsPerExample),
        layout, floats(heap, yReAt!, 0, spectrum), floats(heap, yImAt!, 0, spectrum), first, last);
      return;
    }
    case TASK.modReluGrad: {
      const [, dReAt, dImAt, reAt, imAt, scaleAt, biasAt, dreAt, dimAt, sumsAt, rows, ...rest] = job as unknown as number[];
      const layout = modReluLayout(rest);
      const [first, last] = partRange(rows!, parts, part);
      if (last <= first) return;
      const [spectrum, scaleRows] = [rows! * layout.width, layout.scalePerExample ? rows! : layout.rowsPerExample];
      const at = (offset: number) => floats(heap, offset, 0, spectrum);
      modReluGradSlice(memory === undefined ? null : modReluSimdFor(memory, layout.width), at(dReAt!), at(dImAt!), at(reAt!), at(imAt!), floats(heap, scaleAt!, 0, scaleRows), floats(heap, biasAt!, 0, layout.rowsPerExample),
        layout, at(dreAt!), at(dimAt!), floats(heap, sumsAt!, 0, rows!), floats(heap, sumsAt!, rows!, rows!), first, last);
      return;
    }
    case TASK.binary: {
      const [, op, xAt, yAt, outAt, rows, width, q, strideP, strideQ, splat] = job as unknown as number[];
      const simd = memory === undefined ? null : binarySimdFor(memory);
      if (simd === null) throw new Error('the element-wise task needs the SIMD kernels over the heap memory');
      const [first, last, c0, c1] = binarySlice(rows!, width!, part, parts);
      if (last > first && c1 > c0) simd.binary(op!, xAt!, yAt!, outAt!, q!, width!, strideP!, strideQ!, splat!, first, last, c0, c1);
      return;
    }
    case TASK.gatherRows:
    case TASK.segmentSum: {
      const simd = memory === undefined ? null : rowsSimdFor(memory);
      if (simd === null) throw new Error('the row tasks need the SIMD kernels over the heap memory');
      if (job[0] === TASK.gatherRows) {
        // Slices of the indices: each row a copy.
        const [, xAt, idsAt, outAt, width, count] = job as unknown as number[];
        const [first, last] = partRange(count!, parts, part);
        if (last > first) simd.gatherRows(xAt!, idsAt!, outAt!, width!, first, last);
        return;
      }
      // Slices of the columns: each sum over all rows, in order, by one thread.
      const [, xAt, idsAt, outAt, count, width, segments] = job as unknown as number[];
      const [c0, c1] = partRange(width!, parts, part, 4);
      if (c1 > c0) simd.segmentSum(xAt!, idsAt!, outAt!, count!, width!, segments!, c0, c1);
      return;
    }
    case TASK.adamW: {
      const [, pAt, gAt, mAt, vAt, outPAt, outMAt, outVAt, size, scale, ...values] = job as unknown as number[];
      const [start, end] = partRange(size!, parts, part);
      if (end <= start) return;
      const at = (offset: number) => floats(heap, offset, start, end - start);
      const attrs = decodeJob<AdamWAttrs>(values, ADAMW_ATTR_ORDER);
      adamWValues(at(pAt!), at(gAt!), at(mAt!), at(vAt!), scale!, attrs, at(outPAt!), at(outMAt!), at(outVAt!));
      return;
    }
    case TASK.attention:
    case TASK.attentionGrad: {
      if (memory === undefined) throw new Error('the fused attention needs the heap memory');
      const heapMemory = memory as { readonly buffer: ArrayBufferLike };
      const values = job.subarray(1);
      if (job[0] === TASK.attention) {
        // Blocks of query rows: each a whole softmax row and its outputs, one thread's.
        const forward = decodeJob<AttentionForwardJob>(values, FORWARD_FIELDS);
        const [first, last] = partRange(forwardUnits(forward), parts, part);
        if (last > first) attentionForwardSlice(heapMemory, forward, [first, last], forward.scratchAt + 4 * part * forwardScratchFloats(forward));
        return;
      }
      // Whole heads: a head's key and value gradients sum over all its queries.
      const backward = decodeJob<AttentionBackwardJob>(values, BACKWARD_FIELDS);
      const [first, last] = partRange(backward.headsTotal, parts, part);
      if (last > first) attentionBackwardSlice(heapMemory, backward, [first, last], backward.scratchAt + 4 * part * backwardScratchFloats(backward));
      return;
    }
    default:
      throw new Error(`unknown heap task ${job[0]}`);
  }
}

/** A modReLU job's layout from its last five numbers (see modReluJobTail). */
function modReluLayout([width, rowsPerExample, scalePerExample, minMagnitude, floor]: number[]): ModReluLayout {
  return { width: width!, rowsPerExample: rowsPerExample!, scalePerExample: scalePerExample === 1, minMagnitude: minMagnitude!, floor: floor! };
}

/** The numbers that carry a modReLU layout in a job, after the rows. */
export function modReluJobTail(layout: ModReluLayout): number[] {
  return [layout.width, layout.rowsPerExample, layout.scalePerExample ? 1 : 0, layout.minMagnitude, layout.floor];
}
