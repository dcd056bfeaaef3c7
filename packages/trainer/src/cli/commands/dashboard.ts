import { selectBackend } from '@lra/models';
import type { Argv } from 'yargs';
import { startDashboard } from '../../dashboard/server.js';
import { integerFlag } from '../flags.js';

export function dashboardCommand(y: Argv): Argv {
  return y.command(
    'dashboard [runs]',
    'a local web page of the runs under RUNS: their progress, accuracies and speed, their curves compared on one chart, the leaderboard beside the published LRA numbers, and links to their reports; refreshes while runs train',
    (a) =>
      a
        .positional('runs', { type: 'string', default: 'runs', describe: 'the folder of runs to show (searched recursively, as lra report does)' })
        .option('port', { type: 'string', default: '0', describe: 'TCP port; 0 picks a free one (the URL is printed)' })
        .option('host', { type: 'string', default: '127.0.0.1', describe: 'address to listen on (0.0.0.0 also serves other machines: the runs\' reports become readable to them)' })
        .example('$0 dashboard', 'serves runs/ on a free port of 127.0.0.1')
        .example('$0 dashboard runs/ablations --port 8080', 'a sweep\'s results on http://127.0.0.1:8080/'),
    async (args) => {
      const port = integerFlag('--port', args.port);
      if (port < 0 || port > 65535) throw new Error(`--port: expected 0 to 65535, got ${port}`);
      // The leaderboard's size column builds each task's base Transformer to count its parameters.
      await selectBackend('cpu');
      const dashboard = await startDashboard({ runs: args.runs, host: args.host, port });
      process.stdout.write(`lra dashboard: ${dashboard.url} (runs in ${args.runs}; Ctrl-C stops it)\n`);
      await new Promise<void>((done) => {
        const stop = (): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          void dashboard.close().then(done);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      process.stderr.write('lra dashboard: stopped\n');
    },
  );
}
