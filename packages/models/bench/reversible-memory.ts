// Peak memory of one training step (forward, cross-entropy, gradients), ordinary encoder against
// reversible, at 1 layer and at 6: what reversible blocks save. The `lra bench` classifier (pre-LN,
// D 64, 4 heads, FF 128, dropout 0.1, mean pooling, 10 classes) on wasm, where the peak follows
// the heap allocator (startPeakMeter) and is exact, not sampled.
//   npx vite-node packages/models/bench/reversible-memory.ts -- --mixers attention,gfnet --lengths 4096
// Options: --batch 8 --layers 1,6 --variants ordinary,reversible,autodiff (autodiff: the reversible
// function through tfjs's own backward pass, which keeps every activation) --markdown (table rows).
// A configuration past the wasm heap can abort the module: measure such ones in separate runs.
// Attention's scores at N 4096 take B x H x N^2 x 4 bytes (2 GiB at B 8): past what the wasm heap
// (4 GiB) holds several of, so attention runs at a smaller batch (--attention-batch, default 1).
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import seedrandom from 'seedrandom';
import { selectBackend } from '../src/backend/index.js';
import { startPeakMeter } from '../src/backend/peak-memory.js';
import { quietTfjs } from '../src/backend/quiet-tfjs.js';
import { createClassifier, type ClassifierBuildOptions } from '../src/encoder/classifier.js';
import type { ClassifierConfig } from '../src/encoder/config.js';
import { trainingContext } from '../src/nn/context.js';
import type { MixerName } from '../src/mixers/registry.js';

/** 'autodiff': the reversible function with tfjs's own backward pass, every activation kept. */
type Variant = 'ordinary' | 'reversible' | 'autodiff';
const VARIANTS: readonly Variant[] = ['ordinary', 'reversible', 'autodiff'];

interface Options {
  mixers: string[];
  lengths: number[];
  layers: number[];
  batch: number;
  attentionBatch: number;
  variants: Variant[];
  markdown: boolean;
}

/** Mixer options for the bench: fftnet's gelu variant, the one that leaves the residual to the block. */
const MIXER_OPTIONS: Record<string, Record<string, unknown>> = { fftnet: { variant: 'gelu-dcb3104' } };

function parseOptions(argv: string[]): Options {
  const options: Options = { mixers: ['attention', 'gfnet'], lengths: [4096], layers: [1, 6], batch: 8, attentionBatch: 1, variants: [...VARIANTS], markdown: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (flag === '--') continue;
    if (flag === '--markdown') {
      options.markdown = true;
      continue;
    }
    const value = argv[++i];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    const list = value.split(',').filter((s) => s.length > 0);
    switch (flag) {
      case '--mixers': options.mixers = list; break;
      case '--lengths': options.lengths = list.map(Number); break;
      case '--layers': options.layers = list.map(Number); break;
      case '--batch': options.batch = Number(value); break;
      case '--attention-batch': options.attentionBatch = Number(value); break;
      case '--variants':
        for (const v of list) if (!VARIANTS.includes(v as Variant)) throw new Error(`unknown variant ${v}; known: ${VARIANTS.join(', ')}`);
        options.variants = list as Variant[];
        break;
      default: throw new Error(`unknown option ${flag}`);
    }
  }
  return options;
}


function configFor(mixer: string, length: number, layers: number, reversible: boolean): ClassifierConfig {
  return {
    vocabSize: 256, seqLen: length, numClasses: 10, dModel: 64, heads: 4, layers, mlpDim: 128,
    dropout: 0.1, attentionDropout: 0.1, pool: 'mean', positions: 'learned',
    mixer: mixer as MixerName, mixerOptions: MIXER_OPTIONS[mixer] ?? {}, reversible,
  };
}

/** Peak bytes of one training step, and the bytes live before it (parameters, inputs). */
function measure(config: ClassifierConfig, build: ClassifierBuildOptions, batch: number): { peak: number; base: number } {
  const model = createClassifier(config, 3, build);
  const random = seedrandom('reversible-memory');
  const ids = Int32Array.from({ length: batch * config.seqLen }, () => 1 + Math.floor(random() * (config.vocabSize - 1)));
  const tokens = tf.tensor2d(ids, [batch, config.seqLen], 'int32');
  const labels = tf.oneHot(tf.tensor1d(Array.from({ length: batch }, (_, i) => i % config.numClasses), 'int32'), config.numClasses);
  try {
    const step = (): void => {
      const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(labels, model.logits({ tokens }, trainingContext(1, 1))));
      tf.dispose([value, grads]);
    };
    step(); // the first step builds caches and the heap; measure the second
    const base = tf.memory().numBytes;
    const meter = startPeakMeter();
    step();
    return { peak: meter.stop(), base };
  } finally {
    tf.dispose([tokens, labels]);
    model.dispose();
  }
}

const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  quietTfjs();
  await selectBackend('wasm');
  if (tf.getBackend() !== 'wasm') throw new Error('the measurement needs the wasm backend (exact heap accounting)');
  if (options.markdown) {
    const header = ['mixer', 'N', 'B', 'layers', 'encoder', 'peak MiB', 'live before MiB', `x of ${options.layers[0]} layer(s)`];
    process.stdout.write(`| ${header.join(' | ')} |\n|${header.map(() => '---').join('|')}|\n`);
  }
  for (const mixer of options.mixers) {
    const batch = mixer === 'attention' ? options.attentionBatch : options.batch;
    for (const length of options.lengths) {
      const peaks = new Map<string, number>();
      for (const layers of options.layers) {
        for (const variant of options.variants) {
          const build: ClassifierBuildOptions = variant === 'autodiff' ? { reversibleBackward: 'autodiff' } : {};
          const { peak, base } = measure(configFor(mixer, length, layers, variant !== 'ordinary'), build, batch);
          peaks.set(`${variant}/${layers}`, peak);
          const first = peaks.get(`${variant}/${options.layers[0]}`)!;
          const ratio = (peak / first).toFixed(2);
          const row = [mixer, String(length), String(batch), String(layers), variant, mib(peak), mib(base), ratio];
          // Printed as measured: a later configuration may not fit the heap.
          process.stdout.write(
            options.markdown
              ? `| ${row.join(' | ')} |\n`
              : `${mixer} N ${length} B ${batch} layers ${layers} ${variant}: peak ${mib(peak)} MiB (live before ${mib(base)} MiB), x${ratio} of ${options.layers[0]} layer(s)\n`,
          );
        }
      }
    }
  }
}

await main();
