import type { Argv } from 'yargs';
import { analyzeRun } from '../../analyze/analyze-run.js';
import { writeAnalysis } from '../../analyze/write-analysis.js';
import { createLogger } from '../../util/logger.js';
import { backendChoices } from './train.js';

export function analyzeCommand(y: Argv): Argv {
  return y.command(
    'analyze',
    "what a run's layers learned: filters, attention heads and every layer's linear response, as JSON, SVG plots and an HTML page",
    (a) =>
      a
        .option('run', { type: 'string', demandOption: true, describe: 'the run directory (holds config.json and checkpoints/)' })
        .option('split', { type: 'string', choices: ['train', 'val', 'test'], default: 'test', describe: 'the split whose batches are analysed' })
        .option('batches', { type: 'number', default: 2, describe: 'batches of the split to analyse (evaluation batch size, smaller for long sequences)' })
        .option('examples', { type: 'number', default: 2, describe: 'examples whose Jacobian columns give the linear response' })
        .option('positions', { type: 'number', default: 3, describe: 'impulse positions per such example' })
        .option('method', { type: 'string', choices: ['auto', 'exact', 'finite-difference'], default: 'auto', describe: 'how Jacobian columns are taken' })
        .option('backend', { type: 'string', choices: backendChoices, describe: "default: the run's own" }),
    async (args) => {
      const log = createLogger();
      const analysis = await analyzeRun({
        run: args.run,
        split: args.split as 'train' | 'val' | 'test',
        batches: args.batches,
        responseExamples: args.examples,
        positionsPerExample: args.positions,
        method: args.method as 'auto' | 'exact' | 'finite-difference',
        ...(args.backend ? { backend: args.backend } : {}),
        log,
      });
      const written = await writeAnalysis(analysis);
      process.stdout.write(
        `${analysis.task} / ${analysis.mixer}: ${analysis.layers.length} layers analysed on ${analysis.examples} ${analysis.split} examples; ` +
          `${written.figures.length} plot files in ${written.dir}, page ${written.page}\n`,
      );
    },
  );
}
