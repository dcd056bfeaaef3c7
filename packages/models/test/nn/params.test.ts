import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normal, ones, truncatedNormal, xavierUniform, zeros } from '../../src/nn/initializers.js';
import { ParamStore } from '../../src/nn/params.js';
import { selectBackend } from '../../src/backend/index.js';

function buildSmallModel(store: ParamStore): void {
  const layer = store.scope('layer0/attn');
  layer.add('query', [4, 6], xavierUniform());
  layer.add('bias', [6], zeros(), { decay: false });
  store.add('embed', [10, 4], normal(1));
  store.add('scale', [4], ones(), { decay: false });
}

describe('ParamStore', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('names parameters through scopes and keeps their order and decay flags', () => {
    const store = new ParamStore(7);
    buildSmallModel(store);
    expect(store.variables().map((p) => [p.name, p.decay])).toEqual([
      ['layer0/attn/query', true],
      ['layer0/attn/bias', false],
      ['embed', true],
      ['scale', false],
    ]);
    expect(store.scope('a').scope('b/c').prefix).toBe('a/b/c/');
    expect(store.count()).toBe(24 + 6 + 40 + 4);
    store.dispose();
  });

  it('rejects duplicate and malformed names', () => {
    const store = new ParamStore(7);
    store.add('x', [2], zeros());
    expect(() => store.add('x', [2], zeros())).toThrow('parameter "x" already exists');
    expect(() => store.scope('a').add('/x', [2], zeros())).toThrow('invalid parameter name "/x"');
    expect(() => store.add('y', [0, 2], zeros())).toThrow('shape [0, 2] must hold positive integers');
    store.dispose();
  });

  it('gives the same values for the same seed and different values for another seed', () => {
    const a = new ParamStore(11);
    const b = new ParamStore(11);
    const c = new ParamStore(12);
    for (const s of [a, b, c]) buildSmallModel(s);
    const va = a.get('embed').dataSync();
    expect(Array.from(b.get('embed').dataSync())).toEqual(Array.from(va));
    expect(Array.from(c.get('embed').dataSync())).not.toEqual(Array.from(va));
    for (const s of [a, b, c]) s.dispose();
  });

  it('does not shift other parameters when one is added before them', () => {
    const plain = new ParamStore(3);
    buildSmallModel(plain);
    const extended = new ParamStore(3);
    extended.add('extra', [100], normal(1));
    extended.scope('layer0/attn').add('extra', [5, 5], xavierUniform());
    buildSmallModel(extended);
    for (const { name, variable } of plain.variables()) {
      expect(Array.from(extended.get(name).dataSync()), name).toEqual(Array.from(variable.dataSync()));
    }
    plain.dispose();
    extended.dispose();
  });

  it('initialises identically on cpu and wasm', async () => {
    const onCpu = new ParamStore(5);
    buildSmallModel(onCpu);
    onCpu.add('trunc', [50], truncatedNormal(0.5));
    const cpuSnapshot = onCpu.snapshot();
    onCpu.dispose();
    await selectBackend('wasm');
    expect(tf.getBackend()).toBe('wasm');
    const onWasm = new ParamStore(5);
    buildSmallModel(onWasm);
    onWasm.add('trunc', [50], truncatedNormal(0.5));
    const wasmSnapshot = onWasm.snapshot();
    onWasm.dispose();
    await tf.setBackend('cpu');
    expect(Object.keys(wasmSnapshot)).toEqual(Object.keys(cpuSnapshot));
    for (const name of Object.keys(cpuSnapshot)) {
      expect(wasmSnapshot[name]!.values, name).toEqual(cpuSnapshot[name]!.values);
    }
  });

  it('restores a snapshot exactly, and the snapshot does not alias the variables', () => {
    const source = new ParamStore(21);
    buildSmallModel(source);
    const snapshot = source.snapshot();
    const copy = Float32Array.from(snapshot.embed!.values);
    source.get('embed').assign(tf.zerosLike(source.get('embed')));
    expect(snapshot.embed!.values).toEqual(copy);

    const target = new ParamStore(99);
    buildSmallModel(target);
    target.restore(snapshot);
    for (const name of Object.keys(snapshot)) {
      expect(Float32Array.from(target.get(name).dataSync()), name).toEqual(snapshot[name]!.values);
    }
    source.dispose();
    target.dispose();
  });

  it('rejects a snapshot with missing, extra or reshaped parameters, changing nothing', () => {
    const store = new ParamStore(1);
    buildSmallModel(store);
    const before = store.snapshot();
    const good = store.snapshot();

    const missing = { ...good };
    delete missing.scale;
    expect(() => store.restore(missing)).toThrow('missing parameter "scale"');

    const extra = { ...good, 'layer9/ghost': { shape: [1], values: new Float32Array(1) } };
    expect(() => store.restore(extra)).toThrow('unexpected parameter "layer9/ghost" (not in this model)');

    const reshaped = { ...good, embed: { shape: [4, 10], values: new Float32Array(40).fill(3) } };
    expect(() => store.restore(reshaped)).toThrow(
      'parameter "embed" has shape [4, 10] in the snapshot but [10, 4] in the model',
    );

    const short = { ...good, scale: { shape: [4], values: new Float32Array(3) } };
    expect(() => store.restore(short)).toThrow('parameter "scale" has 3 values for shape [4]');

    expect(store.snapshot()).toEqual(before);
    store.dispose();
  });

  it('frees every tensor it created', () => {
    const start = tf.memory().numTensors;
    const store = new ParamStore(2);
    buildSmallModel(store);
    store.restore(store.snapshot());
    expect(tf.memory().numTensors).toBe(start + 4);
    store.dispose();
    expect(tf.memory().numTensors).toBe(start);
    expect(() => store.add('z', [1], zeros())).toThrow('the store was disposed');
  });
});
