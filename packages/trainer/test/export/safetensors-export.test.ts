// `lra export --format safetensors`, read back by a reader written here from the format's
// specification (and by numpy when it is installed), tensor by tensor against the checkpoint.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { exportRun } from '../../src/export/export-run.js';
import { readCheckpoint, writeCheckpoint } from '../../src/train/checkpoint.js';
import type { CheckpointMeta } from '../../src/train/checkpoint-meta.js';
import { finishedRunCopy, prepareSharedData, tempDir } from '../reliability/fixtures.js';

const root = resolve(__dirname, '../../../..');
const bin = join(root, 'packages/trainer/bin/lra.js');
const PYTHON = '/usr/bin/python3';

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

/** u64 LE header length | JSON header (space-padded) | data; every F32 tensor as name -> {shape, values}. */
function readSafetensors(path: string) {
  const bytes = readFileSync(path);
  const headerLength = Number(bytes.readBigUInt64LE(0));
  const headerText = bytes.toString('utf8', 8, 8 + headerLength);
  const header = JSON.parse(headerText) as Record<string, HeaderEntry | Record<string, string>>;
  const data = bytes.subarray(8 + headerLength);
  const { __metadata__: metadata, ...entries } = header as { __metadata__: Record<string, string> } & Record<string, HeaderEntry>;
  const tensors = new Map<string, { shape: number[]; values: Float32Array; offsets: [number, number] }>();
  for (const [name, e] of Object.entries(entries)) {
    expect(e.dtype, name).toBe('F32');
    const [begin, end] = e.data_offsets;
    const values = new Float32Array((end - begin) / 4);
    for (let i = 0; i < values.length; i++) values[i] = data.readFloatLE(begin + 4 * i);
    tensors.set(name, { shape: e.shape, values, offsets: e.data_offsets });
  }
  return { headerLength, headerText, metadata, tensors, dataLength: data.length, order: Object.keys(entries) };
}

describe('lra export --format safetensors', () => {
  let run: string;
  beforeAll(async () => {
    if (!existsSync(join(root, 'packages/trainer/dist/cli/main.js'))) spawnSync('npx', ['tsc', '-b'], { cwd: root, stdio: 'inherit' });
    await prepareSharedData();
    run = await finishedRunCopy('export');
  }, 180_000);

  it.each(['best', 'last'] as const)('writes every parameter of the %s checkpoint under its own name, with the run in the metadata', async (which) => {
    const result = await exportRun({ run, format: 'safetensors', checkpoint: which });
    expect(result.file).toBe(join(run, 'export', `${which}.safetensors`));
    const file = readSafetensors(result.file);
    // The data starts 8-byte aligned; the header's padding is spaces.
    expect((8 + file.headerLength) % 8).toBe(0);
    expect(file.headerText.trimEnd().endsWith('}')).toBe(true);
    expect(file.headerText.slice(file.headerText.trimEnd().length)).toMatch(/^ *$/);
    // The buffers follow the header's order, back to back, and fill the file.
    let at = 0;
    for (const name of file.order) {
      const { offsets, shape, values } = file.tensors.get(name)!;
      expect(offsets[0], name).toBe(at);
      expect(values.length, name).toBe(shape.reduce((n, d) => n * d, 1));
      at = offsets[1];
    }
    expect(at).toBe(file.dataLength);

    const ckpt = await readCheckpoint<CheckpointMeta>(join(run, 'checkpoints', `${which}.ckpt`));
    const params = [...ckpt.entries].filter(([key]) => key.startsWith('param/'));
    expect(params.length).toBeGreaterThan(3);
    expect([...file.tensors.keys()].sort()).toEqual(params.map(([key]) => key.slice('param/'.length)).sort());
    expect([...file.tensors.keys()].some((name) => name.startsWith('layer0/mixer/'))).toBe(true);
    for (const [key, entry] of params) {
      const tensor = file.tensors.get(key.slice('param/'.length))!;
      expect(tensor.shape, key).toEqual(entry.shape);
      expect(tensor.values, key).toEqual(entry.values);
    }

    const config = JSON.parse(readFileSync(join(run, 'config.json'), 'utf8')) as { task: string; mixer: string; seed: number };
    const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
    expect(file.metadata).toMatchObject({ task: config.task, mixer: config.mixer, seed: String(config.seed), step: String(ckpt.meta.step), version, checkpoint: which });
    expect(JSON.parse(file.metadata.config!)).toEqual(config);
    expect(Object.values(file.metadata).every((v) => typeof v === 'string')).toBe(true);
  });

  it('reads in numpy: the header and np.frombuffer give the same shapes and sums', async (ctx) => {
    const probe = existsSync(PYTHON) ? spawnSync(PYTHON, ['-c', 'import numpy'], { encoding: 'utf8' }) : null;
    if (probe === null || probe.status !== 0) {
      ctx.skip(`${PYTHON} with numpy is not installed`);
      return;
    }
    const out = join(tempDir('export-numpy'), 'model.safetensors');
    await exportRun({ run, format: 'safetensors', checkpoint: 'best', out });
    const script = [
      'import json, struct, sys',
      'import numpy as np',
      'raw = open(sys.argv[1], "rb").read()',
      '(n,) = struct.unpack("<Q", raw[:8])',
      'header = json.loads(raw[8:8 + n])',
      'header.pop("__metadata__")',
      'data = raw[8 + n:]',
      'out = {}',
      'for name, e in header.items():',
      '    b, end = e["data_offsets"]',
      '    a = np.frombuffer(data[b:end], dtype="<f4").reshape(e["shape"])',
      '    out[name] = {"shape": list(a.shape), "sum": float(a.astype(np.float64).sum())}',
      'print(json.dumps(out))',
    ].join('\n');
    const py = spawnSync(PYTHON, ['-c', script, out], { encoding: 'utf8' });
    expect(py.status, py.stderr).toBe(0);
    const seen = JSON.parse(py.stdout) as Record<string, { shape: number[]; sum: number }>;
    const ckpt = await readCheckpoint<CheckpointMeta>(join(run, 'checkpoints', 'best.ckpt'));
    const params = [...ckpt.entries].filter(([key]) => key.startsWith('param/'));
    expect(Object.keys(seen).length).toBe(params.length);
    for (const [key, entry] of params) {
      const name = key.slice('param/'.length);
      expect(seen[name]!.shape, name).toEqual(entry.shape);
      expect(seen[name]!.sum, name).toBeCloseTo(entry.values.reduce((s, v) => s + v, 0), 9);
    }
  });

  it('runs from the command line, writing --out', () => {
    const out = join(tempDir('export-cli'), 'weights.safetensors');
    const r = spawnSync(process.execPath, [bin, 'export', '--run', run, '--format', 'safetensors', '--checkpoint', 'last', '--out', out], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(out);
    expect(readSafetensors(out).metadata.checkpoint).toBe('last');
  });

  it('names the file and the reason when it cannot export', async () => {
    const empty = tempDir('export-empty');
    await expect(exportRun({ run: empty, format: 'safetensors', checkpoint: 'best' })).rejects.toThrow(`${join(empty, 'config.json')}: no such file`);
    await expect(exportRun({ run, format: 'onnx', checkpoint: 'best' })).rejects.toThrow(`cannot export ${run}: unknown format "onnx" (known: safetensors)`);
    const noBest = await finishedRunCopy('export-nobest');
    rmSync(join(noBest, 'checkpoints', 'best.ckpt'));
    await expect(exportRun({ run: noBest, format: 'safetensors', checkpoint: 'best' })).rejects.toThrow(`${join(noBest, 'checkpoints', 'best.ckpt')}: no such checkpoint`);
    const r = spawnSync(process.execPath, [bin, 'export', '--run', run, '--format', 'onnx'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('unknown format "onnx"');
  });
});

describe('lra export of model state that is not trained', () => {
  it('keeps it under its checkpoint key, and leaves the optimiser state out', async () => {
    const run = tempDir('export-state');
    const config = { task: 'listops', mixer: 'attention', seed: 7, out: run };
    writeFileSync(join(run, 'config.json'), JSON.stringify(config));
    const meta = { step: 12, optimizerStep: 12, best: null, config };
    await writeCheckpoint(join(run, 'checkpoints', 'last.ckpt'), meta, [
      { key: 'param/layer0/norm/scale', shape: [2], values: Float32Array.of(1, 2) },
      { key: 'adam.m/layer0/norm/scale', shape: [2], values: Float32Array.of(0.1, 0.2) },
      { key: 'adam.v/layer0/norm/scale', shape: [2], values: Float32Array.of(0.01, 0.02) },
      { key: 'state/layer0/norm/runningMean', shape: [1, 2], values: Float32Array.of(0.5, -0.5) },
    ]);
    const { file } = await exportRun({ run, format: 'safetensors', checkpoint: 'last' });
    const read = readSafetensors(file);
    expect(read.order).toEqual(['layer0/norm/scale', 'state/layer0/norm/runningMean']);
    expect(read.tensors.get('state/layer0/norm/runningMean')).toMatchObject({ shape: [1, 2], values: Float32Array.of(0.5, -0.5) });
    expect(read.metadata).toMatchObject({ task: 'listops', mixer: 'attention', seed: '7', step: '12', checkpoint: 'last' });
  });
});
