// Where one training step spends its time, kernel by kernel: the `lra bench` classifier (one
// pre-LN block, B 8, D 64, 4 heads, FF 128, dropout 0.1, mean pooling, 10 classes) on wasm,
// forward + cross-entropy + gradients + one Adam update, every kernel call timed.
//   npx vite-node packages/models/bench/profile-step.ts -- --mixers attention,fnet,fftnet --lengths 1024,2048,4096
// Options: --batch 8 --steps 2 (profiled, after one untimed step) --top 20 (rows printed)
//   --backend-kernels Softmax,Slice (use the wasm backend's own kernels under these names instead of
//   the project's, to measure a kernel's gain) --markdown (tables for docs/performance.md)
//   --by-shape (one row per kernel and input shapes) --threads N (the wasm backend's threads, default 1).
// A wrapper around every registered wasm kernel measures its wall time, exclusive of kernels it
// calls through the registry, so the rows add up to the time spent in kernels; the rest of the
// step is tfjs's own bookkeeping (tape, reference counts, kernel dispatch).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';
import { projectKernelNames, registerProjectKernels } from '../src/backend/kernels.js';
import { quietTfjs } from '../src/backend/quiet-tfjs.js';
import { startWasm, wasmThreads } from '../src/backend/wasm-threads/start-wasm.js';
import { createClassifier, type Classifier } from '../src/encoder/classifier.js';
import type { ClassifierConfig } from '../src/encoder/config.js';
import { fusedAdamW } from '../src/nn/adamw.js';
import { trainingContext } from '../src/nn/context.js';
import type { MixerName } from '../src/mixers/registry.js';

type Phase = 'forward' | 'backward' | 'update';
const PHASES: readonly Phase[] = ['forward', 'backward', 'update'];

interface KernelRow {
  name: string;
  ms: Record<Phase, number>;
  calls: number;
}

interface Options {
  mixers: string[];
  lengths: number[];
  batch: number;
  steps: number;
  top: number;
  backendKernels: string[];
  markdown: boolean;
  /** Rows per kernel and input shapes rather than per kernel. */
  byShape: boolean;
  threads: number;
}

function parseOptions(argv: string[]): Options {
  const options: Options = {
    mixers: ['attention'], lengths: [1024], batch: 8, steps: 2, top: 20, backendKernels: [], markdown: false, byShape: false, threads: 1,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (flag === '--') continue;
    if (flag === '--markdown' || flag === '--by-shape') {
      if (flag === '--markdown') options.markdown = true;
      else options.byShape = true;
      continue;
    }
    const value = argv[++i];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    const list = value.split(',').filter((s) => s.length > 0);
    switch (flag) {
      case '--mixers': options.mixers = list; break;
      case '--lengths': options.lengths = list.map(Number); break;
      case '--batch': options.batch = Number(value); break;
      case '--steps': options.steps = Number(value); break;
      case '--top': options.top = Number(value); break;
      case '--backend-kernels': options.backendKernels = list; break;
      case '--threads': options.threads = Number(value); break;
      default: throw new Error(`unknown option ${flag}`);
    }
  }
  return options;
}

/** Per-kernel exclusive timing of every kernel registered for wasm, with a phase set by the step. */
class KernelTimer {
  readonly rows = new Map<string, KernelRow>();
  phase: Phase = 'forward';
  private readonly childMs: number[] = [];

  constructor(private readonly byShape: boolean) {}

  install(): void {
    for (const config of tf.getKernelsForBackend('wasm')) {
      const wrapped: KernelConfig = { ...config, kernelFunc: this.wrap(config.kernelName, config.kernelFunc) };
      tf.unregisterKernel(config.kernelName, 'wasm');
      tf.registerKernel(wrapped);
    }
  }

  reset(): void {
    this.rows.clear();
  }

  private wrap(name: string, inner: KernelFunc): KernelFunc {
    return (args) => {
      this.childMs.push(0);
      const start = performance.now();
      const result = inner(args);
      const elapsed = performance.now() - start;
      const children = this.childMs.pop()!;
      if (this.childMs.length > 0) this.childMs[this.childMs.length - 1]! += elapsed;
      const key = this.byShape
        ? `${name} ${Object.values(args.inputs).map((t) => `[${t?.shape.join(',')}]`).join(' ')}`
        : name;
      let row = this.rows.get(key);
      if (row === undefined) {
        row = { name: key, ms: { forward: 0, backward: 0, update: 0 }, calls: 0 };
        this.rows.set(key, row);
      }
      row.ms[this.phase] += elapsed - children;
      row.calls++;
      return result;
    };
  }
}

/** Puts back the wasm backend's own kernels under `names`, replacing the project's. */
function useBackendKernels(names: string[], own: Map<string, KernelConfig>): void {
  for (const name of names) {
    const config = own.get(name);
    if (config === undefined) throw new Error(`the wasm backend has no kernel of its own named ${name}`);
    const current = tf.getKernel(name, 'wasm') as KernelConfig | undefined;
    if (current !== undefined) tf.unregisterKernel(name, 'wasm');
    tf.registerKernel(config);
  }
}

function classifierConfig(mixer: string, length: number): ClassifierConfig {
  return {
    vocabSize: 256, seqLen: length, numClasses: 10, dModel: 64, heads: 4, layers: 1, mlpDim: 128,
    dropout: 0.1, attentionDropout: 0.1, pool: 'mean', positions: 'sinusoidal', block: 'pre-ln',
    mixer: mixer as MixerName, mixerOptions: {},
  };
}

/**
 * Adam as the trainer's AdamW applies it (no weight decay), the same kernels per parameter: the
 * fused update where the backend has it, else the composed one.
 */
function adamStep(model: Classifier, moments: Map<string, [tf.Variable, tf.Variable]>, grads: tf.NamedTensorMap, step: number): void {
  const [beta1, beta2, eps, lr] = [0.9, 0.98, 1e-9, 1e-4];
  const c1 = 1 - beta1 ** step;
  const c2 = 1 - beta2 ** step;
  tf.tidy(() => {
    for (const { variable } of model.params.variables()) {
      const g = grads[variable.name];
      if (g === undefined) continue;
      let pair = moments.get(variable.name);
      if (pair === undefined) {
        pair = [tf.variable(tf.zerosLike(variable), false), tf.variable(tf.zerosLike(variable), false)];
        moments.set(variable.name, pair);
      }
      const [m, v] = pair;
      const fused = fusedAdamW(variable, g, m, v, null, { beta1, beta2, correction1: c1, correction2: c2, eps, rate: lr, weightDecay: 0 });
      if (fused !== null) {
        variable.assign(fused[0]);
        m.assign(fused[1]);
        v.assign(fused[2]);
        continue;
      }
      m.assign(tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1)));
      v.assign(tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2)));
      const update = tf.div(tf.div(m, c1), tf.add(tf.sqrt(tf.div(v, c2)), eps));
      variable.assign(tf.sub(variable, tf.mul(update, lr)));
    }
  });
}

function randomTokens(batch: number, length: number): { tokens: Int32Array; labels: Int32Array } {
  const random = seedrandom(`profile/${length}`);
  const tokens = Int32Array.from({ length: batch * length }, () => 1 + Math.floor(random() * 255));
  const labels = Int32Array.from({ length: batch }, () => Math.floor(random() * 10));
  return { tokens, labels };
}

interface Profile {
  mixer: string;
  length: number;
  stepMs: number;
  kernelMs: number;
  rows: KernelRow[];
}

function profileOne(mixer: string, length: number, options: Options, timer: KernelTimer): Profile {
  const model = createClassifier(classifierConfig(mixer, length), 1);
  const moments = new Map<string, [tf.Variable, tf.Variable]>();
  const { tokens, labels } = randomTokens(options.batch, length);
  const variables = model.params.variables().map((p) => p.variable);
  let stepIndex = 0;
  const step = (): void => {
    stepIndex++;
    tf.tidy(() => {
      timer.phase = 'forward';
      const tokenTensor = tf.tensor2d(tokens, [options.batch, length], 'int32');
      const onehot = tf.oneHot(tf.tensor1d(labels, 'int32'), 10);
      const { value, grads } = tf.variableGrads(() => {
        const logits = model.logits({ tokens: tokenTensor }, trainingContext(1, stepIndex));
        const loss = tf.mean(tf.neg(tf.sum(tf.mul(onehot, tf.logSoftmax(logits)), -1))) as tf.Scalar;
        timer.phase = 'backward';
        return loss;
      }, variables);
      timer.phase = 'update';
      adamStep(model, moments, grads, stepIndex);
      value.dataSync();
    });
  };
  try {
    step();
    timer.reset();
    const start = performance.now();
    for (let s = 0; s < options.steps; s++) step();
    const stepMs = (performance.now() - start) / options.steps;
    const rows = [...timer.rows.values()].map((row) => ({
      name: row.name,
      calls: row.calls / options.steps,
      ms: {
        forward: row.ms.forward / options.steps,
        backward: row.ms.backward / options.steps,
        update: row.ms.update / options.steps,
      },
    }));
    const total = (row: KernelRow): number => row.ms.forward + row.ms.backward + row.ms.update;
    rows.sort((a, b) => total(b) - total(a));
    return { mixer, length, stepMs, kernelMs: rows.reduce((sum, row) => sum + total(row), 0), rows };
  } finally {
    for (const [m, v] of moments.values()) tf.dispose([m, v]);
    model.dispose();
  }
}

function printProfile(profile: Profile, options: Options): void {
  const total = (row: KernelRow): number => row.ms.forward + row.ms.backward + row.ms.update;
  const shown = profile.rows.slice(0, options.top);
  const rest = profile.rows.slice(options.top);
  const restMs = rest.reduce((sum, row) => sum + total(row), 0);
  const outside = profile.stepMs - profile.kernelMs;
  const title = `${profile.mixer}, N ${profile.length}, B ${options.batch}: step ${profile.stepMs.toFixed(0)} ms, ` +
    `in kernels ${profile.kernelMs.toFixed(0)} ms`;
  const fmt = (ms: number): string => ms.toFixed(1);
  const share = (ms: number): string => `${((100 * ms) / profile.stepMs).toFixed(1)}%`;
  if (options.markdown) {
    console.log(`\n**${title}**\n`);
    console.log('| kernel | forward ms | backward ms | update ms | total ms | calls | share |');
    console.log('|---|---:|---:|---:|---:|---:|---:|');
    for (const row of shown) {
      console.log(`| ${row.name} | ${fmt(row.ms.forward)} | ${fmt(row.ms.backward)} | ${fmt(row.ms.update)} | ` +
        `${fmt(total(row))} | ${row.calls} | ${share(total(row))} |`);
    }
    if (rest.length > 0) console.log(`| ${rest.length} other kernels | | | | ${fmt(restMs)} | | ${share(restMs)} |`);
    console.log(`| outside kernels (tfjs engine, JS) | | | | ${fmt(outside)} | | ${share(outside)} |`);
    return;
  }
  console.log(`\n${title}`);
  console.log(`${'kernel'.padEnd(28)}${'fwd ms'.padStart(9)}${'bwd ms'.padStart(9)}${'upd ms'.padStart(9)}` +
    `${'total'.padStart(9)}${'calls'.padStart(7)}${'share'.padStart(8)}`);
  for (const row of shown) {
    console.log(`${row.name.padEnd(28)}${fmt(row.ms.forward).padStart(9)}${fmt(row.ms.backward).padStart(9)}` +
      `${fmt(row.ms.update).padStart(9)}${fmt(total(row)).padStart(9)}${String(row.calls).padStart(7)}` +
      `${share(total(row)).padStart(8)}`);
  }
  if (rest.length > 0) console.log(`${`(${rest.length} others)`.padEnd(55)}${fmt(restMs).padStart(9)}${''.padStart(7)}${share(restMs).padStart(8)}`);
  console.log(`${'(outside kernels)'.padEnd(55)}${fmt(outside).padStart(9)}${''.padStart(7)}${share(outside).padStart(8)}`);
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  quietTfjs();
  const own = new Map(projectKernelNames('wasm').map((name) => [name, tf.getKernel(name, 'wasm') as KernelConfig]));
  registerProjectKernels('wasm');
  // The JavaScript kernels' pool loads compiled workers: this script runs the sources, so point it at the build.
  const worker = fileURLToPath(new URL('../dist/backend/parallel/heap-worker.js', import.meta.url));
  if (options.threads > 1 && existsSync(worker)) process.env['LRA_HEAP_WORKER'] ??= worker;
  else if (options.threads > 1) console.log(`no ${worker} (npx tsc -b builds it): the JavaScript kernels run on the main thread`);
  if (!(await startWasm(options.threads, (line) => console.log(line)))) throw new Error('the wasm backend failed to initialise');
  await tf.ready();
  console.log(`wasm threads: ${wasmThreads()?.threads ?? 1}`);
  useBackendKernels(options.backendKernels, own);
  const timer = new KernelTimer(options.byShape);
  timer.install();
  for (const mixer of options.mixers) {
    for (const length of options.lengths) printProfile(profileOne(mixer, length, options, timer), options);
  }
}

await main();
