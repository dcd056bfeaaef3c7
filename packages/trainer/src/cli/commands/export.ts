import type { Argv } from 'yargs';
import { EXPORT_CHECKPOINTS, EXPORT_FORMATS, type ExportCheckpoint, exportRun } from '../../export/export-run.js';

export function exportCommand(y: Argv): Argv {
  return y.command(
    'export',
    "write a run's checkpoint in a format other frameworks read (safetensors)",
    (a) =>
      a
        .option('run', { type: 'string', demandOption: true, describe: 'the run directory (holds config.json and checkpoints/)' })
        // Checked by exportRun, so the message names the run as well as the format.
        .option('format', { type: 'string', demandOption: true, describe: `the file format: ${EXPORT_FORMATS.join(' | ')}` })
        .option('checkpoint', { type: 'string', choices: EXPORT_CHECKPOINTS, default: 'best', describe: 'the best validation checkpoint or the last one' })
        .option('out', { type: 'string', describe: 'the file to write; default <run>/export/<checkpoint>.<format>' })
        .example('$0 export --run runs/listops-fnet-tiny-s1 --format safetensors', 'writes runs/listops-fnet-tiny-s1/export/best.safetensors'),
    async (args) => {
      const r = await exportRun({ run: args.run, format: args.format, checkpoint: args.checkpoint as ExportCheckpoint, out: args.out });
      process.stdout.write(`${r.file}: ${r.tensors} tensors, ${r.values.toLocaleString('en-US')} values, from ${r.checkpoint.file} (step ${r.checkpoint.step})\n`);
    },
  );
}
