import type { Argv } from 'yargs';
import { listMixers, selectBackend } from '@lra/models';

export function mixersCommand(y: Argv): Argv {
  return y.command(
    'mixers',
    'every registered mixer, its paper and its parameter count',
    (a) =>
      a
        .option('json', { type: 'boolean', default: false })
        .option('d-model', { type: 'number', default: 64, describe: 'width at which parameters are counted' })
        .option('heads', { type: 'number', default: 4 })
        .option('seq-len', { type: 'number', default: 1024 }),
    async (args) => {
      await selectBackend('cpu');
      const rows = listMixers({ dModel: args['d-model'], heads: args.heads, seqLen: args['seq-len'] });
      if (args.json) {
        process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        return;
      }
      const width = Math.max(...rows.map((r) => r.name.length));
      process.stdout.write(`parameters per mixer at d_model ${args['d-model']}, ${args.heads} heads, length ${args['seq-len']}\n`);
      for (const r of rows) process.stdout.write(`${r.name.padEnd(width)}  ${String(r.params).padStart(9)}  ${r.kind.padEnd(11)} ${r.title} — ${r.paper}\n`);
    },
  );
}
