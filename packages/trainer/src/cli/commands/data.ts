import type { Argv } from 'yargs';
import { ensureTaskData, getTask, inspectSplit, prepareTask, type SplitName } from '@lra/data';
import { createLogger } from '../../util/logger.js';

export function dataCommand(y: Argv): Argv {
  return y.command('data', 'prepare and inspect the LRA tasks', (d) =>
    d
      .command(
        'prepare',
        'read the official release files (or generate them), verify, write the Arrow cache',
        (a) =>
          a
            .option('task', { type: 'string', demandOption: true })
            .option('source', { type: 'string', describe: "the release root (lra_release/) or the task's own folder in it" })
            .option('generate', { type: 'boolean', default: false, describe: 'generate official-format files (listops, pathfinder)' })
            .option('out', { type: 'string', default: 'datasets', describe: 'data root: raw/ and cache/ go here' })
            .option('skip-bad', { type: 'boolean', default: false, describe: 'skip and count malformed rows instead of stopping' })
            .option('json', { type: 'boolean', default: false }),
        async (args) => {
          const log = createLogger();
          if (!args.source && !args.generate) throw new Error('data prepare: give --source DIR (the official files) or --generate');
          const prepared = await prepareTask({
            task: args.task,
            dataDir: args.out,
            ...(args.source ? { source: args.source } : {}),
            ...(args.generate ? { generate: true } : {}),
            skipBad: args['skip-bad'],
            log: (msg: string, fields?: object) => log.info(fields ?? {}, msg),
          });
          if (args.json) process.stdout.write(`${JSON.stringify(prepared, null, 2)}\n`);
          else process.stdout.write(`${prepared.task}: prepared variant "${prepared.variant}" in ${prepared.dir}\n`);
        },
      )
      .command(
        'inspect',
        'counts, label distribution and the first example of a split',
        (a) =>
          a
            .option('task', { type: 'string', demandOption: true })
            .option('split', { type: 'string', choices: ['train', 'val', 'test'], demandOption: true })
            .option('source', { type: 'string', describe: 'read the official files here instead of the cache' })
            .option('data-dir', { type: 'string', default: 'datasets' })
            .option('json', { type: 'boolean', default: false }),
        async (args) => {
          const task = getTask(args.task);
          const split = args.split as SplitName;
          const data = args.source
            ? await task.read(args.source, split)
            : (await ensureTaskData({ task: args.task, dataDir: args['data-dir'], log: (msg: string) => createLogger().info(msg) })).splits[split];
          const summary = inspectSplit(task, data);
          if (args.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
          else process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
        },
      )
      .demandCommand(1, 'choose: data prepare | data inspect'),
  );
}
