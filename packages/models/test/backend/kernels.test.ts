import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { describe, expect, it } from 'vitest';
import { fusedKernelNames } from '../../src/backend/fused/register.js';
import { projectKernelNames, registerProjectKernels } from '../../src/backend/kernels.js';

describe('registerProjectKernels', () => {
  it('supplies the kernels wasm lacks for training and the matrix products it runs slowly', () => {
    expect(projectKernelNames('wasm').sort()).toEqual([
      tf.BatchMatMul, tf.Conv2DBackpropFilter, tf.DepthwiseConv2dNativeBackpropFilter,
      tf.DepthwiseConv2dNativeBackpropInput, tf.Identity, tf.Transpose, tf.UnsortedSegmentSum,
      tf._FusedMatMul, tf.GatherV2, tf.Sum, tf.Mean, tf.Add, tf.Sub, tf.Multiply, tf.RealDiv, tf.Tile,
    ].sort());
  });

  it('replaces the backend\'s own kernels and is idempotent', () => {
    const original = tf.getKernel(tf.BatchMatMul, 'wasm').kernelFunc;
    expect(tf.getKernel(tf.UnsortedSegmentSum, 'wasm')).toBeUndefined();
    registerProjectKernels('wasm');
    const installed = projectKernelNames('wasm').map((name) => tf.getKernel(name, 'wasm').kernelFunc);
    expect(installed[0]).not.toBe(original);
    registerProjectKernels('wasm');
    expect(projectKernelNames('wasm').map((name) => tf.getKernel(name, 'wasm').kernelFunc)).toEqual(installed);
  });

  it('gives other backends only the fused kernels, which are new names', () => {
    expect(projectKernelNames('cpu')).toEqual([]);
    registerProjectKernels('cpu');
    const names = tf.getKernelsForBackend('cpu').map((config) => config.kernelName);
    for (const name of fusedKernelNames('cpu')) expect(names).toContain(name);
    // The fused attention kernels run on wasm's heap only.
    expect(fusedKernelNames('cpu')).not.toContain('LraFusedAttention');
    expect(fusedKernelNames('wasm')).toContain('LraFusedAttention');
    expect(names).not.toContain('LraFusedAttention');
    const wasmNames = tf.getKernelsForBackend('wasm').map((config) => config.kernelName);
    expect(wasmNames).toContain('LraLayerNorm');
    const before = tf.getKernelsForBackend('cpu').map((config) => config.kernelFunc);
    registerProjectKernels('cpu');
    expect(tf.getKernelsForBackend('cpu').map((config) => config.kernelFunc)).toEqual(before);
  });
});

describe('registerProjectKernels before the wasm backend starts', () => {
  it('keeps the replaced kernels\' setup, which the backend\'s other kernels rely on', async () => {
    // This file never started wasm before: the registrations above happened first. Reductions
    // over a leading axis call the replaced Transpose's C++ binding, made at setup.
    expect(tf.engine().registry['wasm']).toBeUndefined();
    await tf.setBackend('wasm');
    const x = tf.tensor2d([[1, 5, 3], [4, 2, 6]]);
    expect(tf.sum(x, 0).arraySync()).toEqual([5, 7, 9]);
    expect(tf.max(x, 0).arraySync()).toEqual([4, 5, 6]);
  });
});
