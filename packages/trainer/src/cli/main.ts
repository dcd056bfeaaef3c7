import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { analyzeCommand } from './commands/analyze.js';
import { benchCommand } from './commands/bench.js';
import { checkCommand } from './commands/check.js';
import { dataCommand } from './commands/data.js';
import { evalCommand } from './commands/eval.js';
import { mixersCommand } from './commands/mixers.js';
import { reportCommand } from './commands/report.js';
import { sweepCommand } from './commands/sweep.js';
import { trainCommand } from './commands/train.js';
import { reportFatal } from './errors.js';

/** The `lra` program: one place that lists its commands; each command lives in its own file. */
export async function main(argv: string[]): Promise<void> {
  let cli = yargs(argv)
    .scriptName('lra')
    .usage('$0 <command> [options]\n\nTrain and evaluate token mixers on the Long Range Arena.')
    .strict()
    .recommendCommands()
    .demandCommand(1, 'choose a command')
    .wrap(Math.min(110, process.stdout.columns ?? 110))
    .help()
    .alias('h', 'help')
    .fail((msg, err, y) => {
      if (err) reportFatal(err);
      y.showHelp((text: string) => process.stderr.write(`${text}\n\n`));
      process.stderr.write(`lra: error: ${msg}\n`);
      process.exit(2);
    });
  for (const add of [trainCommand, evalCommand, dataCommand, mixersCommand, benchCommand, reportCommand, sweepCommand, analyzeCommand, checkCommand]) cli = add(cli);
  await cli.parseAsync();
}

main(hideBin(process.argv)).catch(reportFatal);
