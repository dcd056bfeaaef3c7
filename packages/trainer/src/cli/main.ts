import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { analyzeCommand } from './commands/analyze.js';
import { benchCommand } from './commands/bench.js';
import { checkCommand } from './commands/check.js';
import { dashboardCommand } from './commands/dashboard.js';
import { dataCommand } from './commands/data.js';
import { evalCommand } from './commands/eval.js';
import { exportCommand } from './commands/export.js';
import { mixersCommand } from './commands/mixers.js';
import { reportCommand } from './commands/report.js';
import { sweepCommand } from './commands/sweep.js';
import { trainCommand } from './commands/train.js';
import { helpHint, reportFatal, usageMessage } from './errors.js';

/** The `lra` program: one place that lists its commands; each command lives in its own file. */
export async function main(argv: string[]): Promise<void> {
  let cli = yargs(argv)
    .scriptName('lra')
    .usage('$0 <command> [options]\n\nTrain and evaluate token mixers on the Long Range Arena.')
    .strict()
    .recommendCommands()
    .demandCommand(1, 'choose a command')
    // The terminal's own width (words are never split by a narrower fixed width); unwrapped in a pipe.
    .wrap(process.stdout.isTTY ? process.stdout.columns : null)
    .help()
    .alias('h', 'help')
    // An argument error is an error like any other: one line, exit 1, and where the options are listed.
    .fail((msg, err) => {
      if (err) reportFatal(err);
      process.stderr.write(`lra: error: ${usageMessage(msg)}\n${helpHint(argv)}\n`);
      process.exit(1);
    });
  for (const add of [trainCommand, evalCommand, dataCommand, mixersCommand, benchCommand, reportCommand, sweepCommand, analyzeCommand, checkCommand, exportCommand, dashboardCommand]) cli = add(cli);
  await cli.parseAsync();
}

main(hideBin(process.argv)).catch(reportFatal);
