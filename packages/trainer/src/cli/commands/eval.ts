import type { Argv } from 'yargs';
import { evaluateRun } from '../../train/eval-run.js';
import { createLogger } from '../../util/logger.js';
import { threadsFlag, threadsOption } from '../threads.js';
import { backendChoices } from './train.js';

export function evalCommand(y: Argv): Argv {
  return y.command(
    'eval',
    "evaluate a run's best checkpoint on a split",
    (a) =>
      a
        .option('run', { type: 'string', demandOption: true, describe: 'the run directory (holds config.json and checkpoints/)' })
        .option('split', { type: 'string', choices: ['val', 'test'], default: 'test', describe: 'the split the best checkpoint is evaluated on' })
        .option('backend', { type: 'string', choices: backendChoices, describe: "default: the run's own" })
        .option('threads', threadsOption)
        .option('json', { type: 'boolean', default: false, describe: 'print the result as JSON on stdout' }),
    async (args) => {
      const log = createLogger();
      const r = await evaluateRun({ run: args.run, split: args.split as 'val' | 'test', ...(args.backend ? { backend: args.backend } : {}), threads: threadsFlag(args.threads), log });
      if (args.json) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      else
        process.stdout.write(
          `${r.task} / ${r.mixer}, ${r.split} split (${r.count} examples), checkpoint of step ${r.checkpoint.step}: ` +
            `accuracy ${(r.accuracy * 100).toFixed(2)}% (majority class ${(r.majorityRate * 100).toFixed(2)}%), loss ${r.loss.toFixed(4)}\n`,
        );
    },
  );
}
