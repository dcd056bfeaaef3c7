import { resolve } from 'node:path';
import { selectBackend } from '@lra/models';
import type { Argv } from 'yargs';
import { loadAblation } from '../../report/ablation.js';
import { writeAblationReport } from '../../report/ablation-files.js';
import { renderAblationJson, renderAblationMarkdown } from '../../report/ablation-markdown.js';
import { loadRuns } from '../../report/find-runs.js';
import { buildLeaderboard } from '../../report/leaderboard.js';
import { leaderboardJsonPath, writeLeaderboard } from '../../report/leaderboard-files.js';
import { renderLeaderboardJson, renderLeaderboardMarkdown } from '../../report/leaderboard-markdown.js';

export function reportCommand(y: Argv): Argv {
  return y.command(
    'report <runs..>',
    'leaderboard of finished runs (mean ± sd over seeds per task x mixer) beside the published LRA numbers, or (--ablation) the variant table of an ablation sweep',
    (a) =>
      a
        .positional('runs', { type: 'string', array: true, demandOption: true, describe: 'run folders, or folders that contain them (searched recursively: a sweep\'s results folder)' })
        .option('out', { type: 'string', describe: 'write the markdown to FILE and the JSON beside it (FILE with .json for .md)' })
        .option('json', { type: 'boolean', default: false, describe: 'print the JSON on stdout instead of the markdown' })
        .option('ablation', {
          type: 'boolean',
          default: false,
          describe: 'one sweep results folder: a table per task of every variant (grid axes, params, accuracy mean ± sd, speed), written with a chart and a page of the variants\' analysis plots side by side to ablation.{md,json,html} in the folder',
        })
        .check((args) => {
          if (args.ablation && (args.runs ?? []).length !== 1) throw new Error('--ablation reads one sweep results folder');
          if (args.ablation && args.out !== undefined) throw new Error('--ablation writes its files into the results folder; it does not take --out');
          return true;
        })
        .example('$0 report runs/', 'every run under runs/')
        .example('$0 report results/ --out leaderboard.md', 'writes leaderboard.md and leaderboard.json')
        .example('$0 report runs/ablations/listops --ablation', 'the ablation table, ablation.md/.json/.html and the accuracy chart'),
    async (args) => {
      const roots = (args.runs ?? []).map(String);
      if (args.ablation) {
        const ablation = loadAblation(resolve(roots[0]!));
        const written = await writeAblationReport(ablation);
        process.stderr.write(`wrote ${written.join(', ')}\n`);
        process.stdout.write(args.json ? renderAblationJson(ablation) : renderAblationMarkdown(ablation));
        return;
      }
      // The size column builds each task's base Transformer to count its parameters: on the cpu backend.
      await selectBackend('cpu');
      const found = loadRuns(roots);
      if (found.finished.length === 0 && found.unfinished.length === 0)
        throw new Error(`no runs under ${roots.join(', ')} (a run folder holds report.json or config.json)`);
      const lb = buildLeaderboard(found, roots);
      if (args.out !== undefined) {
        await writeLeaderboard(args.out, lb);
        process.stderr.write(`wrote ${args.out} and ${leaderboardJsonPath(args.out)}\n`);
      }
      process.stdout.write(args.json ? renderLeaderboardJson(lb) : renderLeaderboardMarkdown(lb));
    },
  );
}
