import type { Argv } from 'yargs';
import { describeMachine, selectBackend } from '@lra/models';
import { benchModels, type ModelBenchRow } from '../../bench/model-bench.js';
import { benchSpectralOps } from '../../bench/spectral-ops.js';
import { createLogger } from '../../util/logger.js';
import { backendChoices } from './train.js';

const list = (s: string) => s.split(',').map((x) => x.trim()).filter(Boolean);
const ints = (s: string) =>
  list(s).map((x) => {
    const n = Number(x);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--lengths: "${x}" is not a positive integer`);
    return n;
  });

export function benchCommand(y: Argv): Argv {
  return y.command(
    'bench',
    'time mixers (forward, train step, memory) or spectral ops at several lengths',
    (a) =>
      a
        .option('mixers', { type: 'string', describe: 'comma-separated mixer names (model benchmark)' })
        .option('ops', { type: 'string', describe: 'comma-separated spectral ops, e.g. rfft,irfft (op benchmark)' })
        .option('lengths', { type: 'string', default: '1024,2048,4096' })
        .option('batch', { type: 'number', default: 8 })
        .option('rows', { type: 'number', default: 64, describe: 'rows of the [rows, N] op input' })
        .option('d-model', { type: 'number', default: 64 })
        .option('heads', { type: 'number', default: 4 })
        .option('layers', { type: 'number', default: 1 })
        .option('mlp-dim', { type: 'number', default: 128 })
        .option('warmup', { type: 'number', default: 2 })
        .option('repeats', { type: 'number', default: 5 })
        .option('backend', { type: 'string', choices: backendChoices, default: 'auto' })
        .option('json', { type: 'boolean', default: false })
        .check((args) => {
          if (!args.mixers && !args.ops) throw new Error('give --mixers a,b,... or --ops rfft,irfft');
          return true;
        }),
    async (args) => {
      const log = createLogger();
      const backend = await selectBackend(args.backend as 'auto', { log: (msg, fields) => log.info(fields ?? {}, msg) });
      const lengths = ints(args.lengths);
      const machine = describeMachine();
      if (args.ops) {
        const results = await benchSpectralOps({ ops: list(args.ops), lengths, rows: args.rows, repeats: args.repeats, warmup: args.warmup });
        if (args.json) process.stdout.write(`${JSON.stringify({ backend: backend.name, machine, results }, null, 2)}\n`);
        else {
          process.stdout.write(`backend ${backend.name}; ${machine.cpu}\nop        rows      n   forward ms   fwd+bwd ms   ns per N log2 N\n`);
          for (const r of results)
            process.stdout.write(
              `${r.op.padEnd(8)} ${String(r.rows).padStart(5)} ${String(r.n).padStart(6)} ${r.forwardMs.toFixed(3).padStart(12)} ${r.forwardBackwardMs.toFixed(3).padStart(12)} ${(r.msPerNlogN * 1e6).toFixed(3).padStart(17)}\n`,
            );
        }
        return;
      }
      const results = await benchModels({
        mixers: list(args.mixers!),
        lengths,
        batch: args.batch,
        dModel: args['d-model'],
        heads: args.heads,
        layers: args.layers,
        mlpDim: args['mlp-dim'],
        warmup: args.warmup,
        repeats: args.repeats,
        onRow: (r: ModelBenchRow) =>
          log.info(r, r.error ? `${r.mixer} @ ${r.length}: failed: ${r.error}` : `${r.mixer} @ ${r.length}: step ${r.stepMs.toFixed(1)} ms, forward ${r.forwardMs.toFixed(1)} ms`),
      });
      if (args.json) {
        process.stdout.write(`${JSON.stringify({ backend: backend.name, machine, results }, null, 2)}\n`);
        return;
      }
      process.stdout.write(`backend ${backend.name}; batch ${args.batch}, d_model ${args['d-model']}, ${args.layers} layer(s); ${machine.cpu}\n`);
      process.stdout.write('mixer            length     params   forward ms    step ms   peak MiB   tokens/s\n');
      for (const r of results)
        process.stdout.write(
          `${r.mixer.padEnd(16)} ${String(r.length).padStart(6)} ${String(r.params).padStart(10)} ${r.forwardMs.toFixed(1).padStart(12)} ${r.stepMs.toFixed(1).padStart(10)} ${(r.peakBytes / 2 ** 20).toFixed(1).padStart(10)} ${Math.round(r.tokensPerSec).toString().padStart(10)}${r.error ? `  (${r.error})` : ''}\n`,
        );
    },
  );
}
