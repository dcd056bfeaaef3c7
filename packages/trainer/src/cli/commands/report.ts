import type { Argv } from 'yargs';
import { loadRuns } from '../../report/find-runs.js';
import { buildLeaderboard } from '../../report/leaderboard.js';
import { leaderboardJsonPath, writeLeaderboard } from '../../report/leaderboard-files.js';
import { renderLeaderboardJson, renderLeaderboardMarkdown } from '../../report/leaderboard-markdown.js';

export function reportCommand(y: Argv): Argv {
  return y.command(
    'report <runs..>',
    'leaderboard of finished runs (mean ± sd over seeds per task x mixer) beside the published LRA numbers',
    (a) =>
      a
        .positional('runs', { type: 'string', array: true, demandOption: true, describe: 'run folders, or folders that contain them (searched recursively: a sweep\'s results folder)' })
        .option('out', { type: 'string', describe: 'write the markdown to FILE and the JSON beside it (FILE with .json for .md)' })
        .option('json', { type: 'boolean', default: false, describe: 'print the JSON on stdout instead of the markdown' })
        .example('$0 report runs/', 'every run under runs/')
        .example('$0 report results/ --out leaderboard.md', 'writes leaderboard.md and leaderboard.json'),
    async (args) => {
      const roots = (args.runs ?? []).map(String);
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
