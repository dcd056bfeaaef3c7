import type { Argv } from 'yargs';
import { downloadTaskSources, ensureTaskData, getTask, inspectSplit, loadPreparedVariant, prepareTask, type SplitName } from '@lra/data';
import { GenerationProgress } from '../../util/generation-progress.js';
import { createLogger, type Logger } from '../../util/logger.js';
import { ByteProgress } from '../../util/byte-progress.js';

export function dataCommand(y: Argv): Argv {
  return y.command('data', 'prepare and inspect the LRA tasks', (d) =>
    d
      .command(
        'prepare',
        'read the official release files (or generate them), verify, write the Arrow cache',
        (a) =>
          a
            .option('task', { type: 'string', demandOption: true, describe: 'listops | text | retrieval | image | pathfinder | pathx' })
            .option('source', { type: 'string', describe: "the release root (lra_release/) or the task's own folder in it" })
            .option('generate', { type: 'boolean', default: false, describe: 'generate official-format files (listops, pathfinder)' })
            .option('download', { type: 'boolean', default: false, describe: 'download the official archive (datasets/sources.json), verify, extract, then prepare' })
            .option('generator', { type: 'string', describe: 'generator options as JSON, e.g. \'{"count":2000}\' (pathfinder) or \'{"counts":{"train":2000,"val":200,"test":200}}\' (listops)' })
            .option('sources', { type: 'string', describe: 'the sources manifest for --download (default datasets/sources.json)' })
            .option('out', { type: 'string', default: 'datasets', describe: 'data root: raw/ and cache/ go here' })
            .option('skip-bad', { type: 'boolean', default: false, describe: 'skip and count malformed rows instead of stopping' })
            .option('shard-mb', { type: 'number', describe: 'largest cache file, in MiB of token ids (default 256): bigger splits are written as shards' })
            .option('json', { type: 'boolean', default: false, describe: 'print what was prepared as JSON on stdout' }),
        async (args) => {
          const log = createLogger();
          const ways = [args.source, args.generate, args.download].filter(Boolean).length;
          if (ways !== 1) throw new Error('data prepare: give exactly one of --source DIR (the official files), --download or --generate');
          const source = args.download ? await download(args.task, args.out, log, args.sources) : args.source;
          const generation = new GenerationProgress(args.task, log);
          const prepared = await prepareTask({
            task: args.task,
            dataDir: args.out,
            ...(source ? { source } : {}),
            ...(args.generate ? { generate: args.generator ? parseGeneratorOptions(args.generator) : true } : {}),
            skipBad: args['skip-bad'],
            ...(args['shard-mb'] !== undefined ? { shardBytes: shardBytesOf(args['shard-mb']) } : {}),
            log: (msg: string, fields?: object) => log.info(fields ?? {}, msg),
            onProgress: generation.onProgress,
          }).finally(() => generation.stop());
          if (args.json) process.stdout.write(`${JSON.stringify(prepared, null, 2)}\n`);
          else process.stdout.write(`${prepared.task}: prepared variant "${prepared.variant}" in ${prepared.dir}\n`);
        },
      )
      .command(
        'inspect',
        'counts, label distribution and the first example of a split',
        (a) =>
          a
            .option('task', { type: 'string', demandOption: true, describe: 'listops | text | retrieval | image | pathfinder | pathx' })
            .option('split', { type: 'string', choices: ['train', 'val', 'test'], demandOption: true, describe: 'the split to describe' })
            .option('source', { type: 'string', describe: 'read the official files here instead of the cache' })
            .option('data-dir', { type: 'string', default: 'datasets', describe: 'data root (raw/ and cache/) holding the prepared cache' })
            .option('verify', { type: 'boolean', default: false, describe: "hash every cache file against the manifest, even when its size and mtime match the last check" })
            .option('skip-bad', { type: 'boolean', default: false, describe: 'with --source: skip and count malformed rows (the count is shown as skipped)' })
            .option('json', { type: 'boolean', default: false, describe: 'print the description as JSON on stdout' }),
        async (args) => {
          const task = getTask(args.task);
          const split = args.split as SplitName;
          const data = args.source ? await task.read(args.source, split, { skipBad: args['skip-bad'] }) : await preparedOrGenerated(args.task, args['data-dir'], args.verify, split);
          const summary = inspectSplit(task, data);
          if (args.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
          else process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
        },
      )
      .demandCommand(1, 'choose: data prepare | data inspect'),
  );
}

/**
 * A split of the task's data without a source: a variant already prepared (the official one
 * first, else the newest), and only when there is none the generator's default set, announced
 * with its size, its expected time and a progress bar.
 */
async function preparedOrGenerated(taskName: string, dataDir: string, verify: boolean, split: SplitName) {
  const log = createLogger();
  const ready = await loadPreparedVariant(dataDir, taskName, { verify, skip: (variant, why) => log.warn({ variant }, `prepared variant ${variant} passed over: ${why}`) });
  if (ready) {
    log.info({ variant: ready.prepared.variant }, `using the prepared variant ${ready.prepared.variant} in ${ready.prepared.dir} (give --source DIR to read official files instead)`);
    return ready.splits[split];
  }
  const progress = new GenerationProgress(taskName, log);
  try {
    const prepared = await ensureTaskData({ task: taskName, dataDir, verify, log: (msg: string) => log.info(msg), onProgress: progress.onProgress });
    return prepared.splits[split];
  } finally {
    progress.stop();
  }
}

/** Downloads (resuming, verifying) and extracts what a task needs; returns the folder to read. */
async function download(task: string, dataDir: string, log: Logger, manifest?: string): Promise<string> {
  const bar = new ByteProgress();
  try {
    const result = await downloadTaskSources({
      task,
      dataDir,
      ...(manifest ? { manifest } : {}),
      onProgress: (done, total, phase) => bar.update(phase, done, total),
      log: (msg: string, fields?: object) => bar.interrupt(() => log.info(fields ?? {}, msg)),
    });
    return result.sourceDir;
  } finally {
    bar.stop();
  }
}

function parseGeneratorOptions(json: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (err) {
    throw new Error(`--generator: not valid JSON: ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('--generator: expected a JSON object');
  return value as Record<string, unknown>;
}

function shardBytesOf(megabytes: number): number {
  if (!Number.isFinite(megabytes) || megabytes <= 0) throw new Error(`data prepare: --shard-mb must be a positive number, got ${megabytes}`);
  return Math.round(megabytes * 1024 * 1024);
}
