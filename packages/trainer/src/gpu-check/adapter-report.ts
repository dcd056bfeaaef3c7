// Which GPU adapter Dawn finds, what it allows, and whether a matrix product on it is right,
// found through the project's own backend selection (so the same route `--backend webgpu`
// takes), with no vulkaninfo: scripts/gpu-check.sh, step "adapter".
import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';
import { type BackendChoice, type BackendRequest, selectBackend } from '@lra/models';
import { relativeError } from './numeric-checks.js';

/** The WebGPU limits that bound this project's kernels (buffer sizes, workgroups, bindings). */
export const REPORTED_LIMITS = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxStorageBuffersPerShaderStage',
  'maxUniformBufferBindingSize',
  'maxBindGroups',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxComputeWorkgroupsPerDimension',
] as const;

interface GpuLimitsLike { readonly [name: string]: unknown }
interface GpuAdapterLike {
  info?: { vendor?: string; architecture?: string; device?: string; description?: string };
  features?: Iterable<string>;
  limits?: GpuLimitsLike;
}
interface GpuLike { requestAdapter(options?: object): Promise<GpuAdapterLike | null> }

export interface MatmulCheck {
  size: number;
  relError: number;
  ok: boolean;
  /** Median of three timed products after one untimed, with the result read back. */
  ms: number;
  gflops: number;
}

export interface AdapterReport {
  ok: boolean;
  requested: BackendRequest;
  backend?: BackendChoice;
  reason?: string;
  adapter?: {
    vendor: string;
    architecture: string;
    device: string;
    description: string;
    features: string[];
    limits: Record<string, number>;
  };
  /** The limits of the device tfjs opened on that adapter (it asks for some above the defaults). */
  deviceLimits?: Record<string, number>;
  matmul?: MatmulCheck[];
}

/** Numeric limits by name: the reported ones, and any others the object enumerates. */
export function readLimits(limits: GpuLimitsLike | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  if (limits === undefined) return out;
  const names = new Set<string>(REPORTED_LIMITS);
  for (const name in limits) names.add(name);
  for (const name of [...names].sort()) {
    const value = limits[name];
    if (typeof value === 'number') out[name] = value;
  }
  return out;
}

/** A float32 matrix product on the current backend against float64 here, and its speed. */
export async function checkMatmul(size: number): Promise<MatmulCheck> {
  const rng = seedrandom(`matmul/${size}`);
  const a = Float32Array.from({ length: size * size }, () => 2 * rng() - 1);
  const b = Float32Array.from({ length: size * size }, () => 2 * rng() - 1);
  const at = tf.tensor2d(a, [size, size]);
  const bt = tf.tensor2d(b, [size, size]);
  try {
    const run = async (): Promise<Float32Array> => {
      const c = tf.matMul(at, bt);
      const values = (await c.data()) as Float32Array;
      c.dispose();
      return values;
    };
    const product = await run();
    const samples: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      await run();
      samples.push(performance.now() - t0);
    }
    const ms = samples.sort((x, y) => x - y)[1]!;
    // Rows spread over the matrix: a full float64 product of the larger sizes takes too long here.
    const rows = Array.from({ length: Math.min(size, 32) }, (_, i) => Math.floor((i * size) / Math.min(size, 32)));
    const expected: number[] = [];
    const actual: number[] = [];
    for (const r of rows) {
      for (let col = 0; col < size; col++) {
        let s = 0;
        for (let k = 0; k < size; k++) s += a[r * size + k]! * b[k * size + col]!;
        expected.push(s);
        actual.push(product[r * size + col]!);
      }
    }
    const relError = relativeError(actual, expected);
    return { size, relError, ok: relError <= 1e-5 * Math.sqrt(size), ms, gflops: (2 * size ** 3) / (ms * 1e6) };
  } finally {
    tf.dispose([at, bt]);
  }
}

function gpuOfNavigator(): GpuLike | undefined {
  return (globalThis as { navigator?: { gpu?: GpuLike } }).navigator?.gpu;
}

/**
 * Selects `requested` (webgpu on a GPU machine) as `lra --backend` does, then describes the
 * adapter Dawn hands out and the device tfjs opened, and times a matrix product at two sizes.
 * A backend that cannot be used is a report with ok false and the selection's reason.
 */
export async function adapterReport(requested: BackendRequest = 'webgpu', sizes: readonly number[] = [256, 2048]): Promise<AdapterReport> {
  let backend: BackendChoice;
  try {
    backend = await selectBackend(requested);
  } catch (error) {
    return { ok: false, requested, reason: (error as Error).message };
  }
  const report: AdapterReport = { ok: true, requested, backend };
  const gpu = gpuOfNavigator();
  if (backend.name === 'webgpu' && gpu !== undefined) {
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (adapter !== null) {
      report.adapter = {
        vendor: adapter.info?.vendor ?? '',
        architecture: adapter.info?.architecture ?? '',
        device: adapter.info?.device ?? '',
        description: adapter.info?.description ?? '',
        features: [...(adapter.features ?? [])].sort(),
        limits: readLimits(adapter.limits),
      };
    }
    const device = (tf.backend() as { device?: { limits?: GpuLimitsLike } }).device;
    report.deviceLimits = readLimits(device?.limits);
  }
  report.matmul = [];
  for (const size of sizes) report.matmul.push(await checkMatmul(size));
  report.ok = report.matmul.every((m) => m.ok);
  return report;
}
