import type { Argv } from 'yargs';
import { resolveConfig } from '../../config/resolve.js';
import type { BackendRequest } from '../../config/types.js';
import { train } from '../../train/run.js';
import { RunInterrupted, resumeCommandOf } from '../../train/stop-request.js';
import { createLogger } from '../../util/logger.js';
import { integerFlag } from '../flags.js';
import { threadsFlag, threadsOption } from '../threads.js';

export const backendChoices = ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'] as const;

export function trainCommand(y: Argv): Argv {
  return y.command(
    'train',
    'train a mixer on a task; writes report.json, config.json, metrics.jsonl and checkpoints',
    (a) =>
      a
        .option('task', { type: 'string', demandOption: true, describe: 'listops | text | retrieval | image | pathfinder | pathx' })
        .option('mixer', { type: 'string', demandOption: true, describe: 'a mixer name (see `lra mixers`)' })
        .option('preset', { type: 'string', default: 'lra', choices: ['lra', 'small', 'tiny'], describe: 'base settings: LRA paper, reduced, or minutes on a CPU' })
        .option('config', { type: 'string', describe: 'experiment file (JSON) of overrides' })
        // Strings, parsed here: yargs turns `--seed abc` into NaN, which no message can name.
        .option('steps', { type: 'string', describe: 'training steps' })
        .option('seed', { type: 'string', describe: 'run seed (every random choice derives from it)' })
        .option('backend', { type: 'string', choices: backendChoices, describe: 'tfjs backend; auto picks the best that loads' })
        .option('threads', threadsOption)
        .option('data-dir', { type: 'string', describe: 'data root (raw/ and cache/); default datasets' })
        .option('out', { type: 'string', describe: 'run directory; default runs/<task>-<mixer>-<preset>[-<config file>][-<changed settings>]-s<seed>, e.g. runs/listops-attention-tiny-lr0.02-layers3-s1' })
        .option('set', { type: 'string', array: true, describe: 'override any config key: --set train.lr=0.001 model.layers=2' })
        .option('resume', { type: 'boolean', default: false, describe: 'continue the run in --out from its last checkpoint (a finished run is left as it is)' })
        .option('overwrite', { type: 'boolean', default: false, describe: 'delete a finished or started run in --out and start again (refused otherwise)' })
        .option('verify', { type: 'boolean', default: false, describe: 'hash every cache file against its manifest, even when its size and mtime match the last check' })
        .option('progress', { type: 'boolean', describe: 'progress bar (default: when stderr is a terminal)' })
        .example('$0 train --task listops --mixer attention --preset tiny', 'a few minutes on the wasm backend'),
    async (args) => {
      const log = createLogger();
      const resolved = resolveConfig({
        task: args.task,
        mixer: args.mixer,
        preset: args.preset,
        ...(args.config !== undefined ? { configFile: args.config } : {}),
        ...(args.set !== undefined ? { sets: args.set } : {}),
        ...(args.steps !== undefined ? { steps: integerFlag('--steps', args.steps) } : {}),
        ...(args.seed !== undefined ? { seed: integerFlag('--seed', args.seed) } : {}),
        ...(args.backend !== undefined ? { backend: args.backend as BackendRequest } : {}),
        ...(args['data-dir'] !== undefined ? { dataDir: args['data-dir'] } : {}),
        ...(args.out !== undefined ? { out: args.out } : {}),
      });
      try {
        await train({
          resolved,
          log,
          resume: args.resume,
          overwrite: args.overwrite,
          verify: args.verify,
          threads: threadsFlag(args.threads),
          resumeCommand: resumeCommandOf(process.argv.slice(2)),
          ...(args.progress !== undefined ? { progress: args.progress } : {}),
        });
      } catch (err) {
        // Stopped by Ctrl-C or SIGTERM after saving: already said what was saved and how to resume.
        if (!(err instanceof RunInterrupted)) throw err;
        process.exitCode = err.exitCode;
      }
    },
  );
}
