import type { Argv } from 'yargs';
import { listMixers, selectBackend } from '@lra/models';
import { mixersForTask } from '../../report/mixer-params.js';

export function mixersCommand(y: Argv): Argv {
  return y.command(
    'mixers',
    'every registered mixer, its paper, its implementations (clean, lra, reference) and its parameter count (with --task: in that task\'s model, vs the base Transformer)',
    (a) =>
      a
        .option('json', { type: 'boolean', default: false, describe: 'print the table as JSON on stdout' })
        .option('task', { type: 'string', describe: "count whole models under this task's preset and compare with its Transformer" })
        .option('preset', { type: 'string', default: 'lra', choices: ['lra', 'small', 'tiny'], describe: 'with --task: the preset whose model sizes are counted' })
        .option('d-model', { type: 'number', default: 64, describe: 'width at which mixer parameters are counted' })
        .option('heads', { type: 'number', default: 4, describe: 'attention heads at which mixer parameters are counted' })
        .option('seq-len', { type: 'number', default: 1024, describe: 'length at which mixer parameters are counted (length-sized weights: linformer, gfnet...)' }),
    async (args) => {
      // Parameters are created on the cpu backend: counting them needs no accelerator.
      await selectBackend('cpu');
      if (args.task) {
        const rows = mixersForTask(args.task, args.preset);
        if (args.json) return void process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        const width = Math.max(...rows.map((r) => r.name.length));
        process.stdout.write(`${args.task}, preset ${args.preset}: whole-model parameters and ratio to the Transformer (LRA allows 1.10)\n`);
        for (const r of rows) {
          const ratio = r.ratioToTransformer === null ? '     -' : r.ratioToTransformer.toFixed(2).padStart(6);
          const flag = r.withinLraBudget === false ? '  over budget' : '';
          process.stdout.write(`${r.name.padEnd(width)}  ${String(r.modelParams ?? '-').padStart(10)}  ${ratio}${flag}${r.problem ? `  (${r.problem})` : ''}\n`);
        }
        return;
      }
      const rows = listMixers({ dModel: args['d-model'], heads: args.heads, seqLen: args['seq-len'] });
      if (args.json) return void process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      const width = Math.max(...rows.map((r) => r.name.length));
      process.stdout.write(`parameters per mixer at d_model ${args['d-model']}, ${args.heads} heads, length ${args['seq-len']}; impl: clean = the paper's method, lra = as LRA's code builds it, reference = as its authors' code builds it\n`);
      const impls = rows.map((r) => r.implementations.join(','));
      const implWidth = Math.max('impl'.length, ...impls.map((i) => i.length));
      process.stdout.write(`${'mixer'.padEnd(width)}  ${'params'.padStart(9)}  ${'kind'.padEnd(11)} ${'impl'.padEnd(implWidth)}  model\n`);
      rows.forEach((r, i) => {
        process.stdout.write(`${r.name.padEnd(width)}  ${String(r.params ?? '-').padStart(9)}  ${r.kind.padEnd(11)} ${impls[i]!.padEnd(implWidth)}  ${r.title} — ${r.paper}\n`);
      });
    },
  );
}
