// experiments/lra/<task>/<mixer>.json: one file per LRA Table 1 model and task, each naming the
// LRA config it follows and the published number, and each resolving to a model the registry
// accepts. (A file that sets options a mixer does not know fails here, naming the option.)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { getTask } from '@lra/data';
import { classifierConfigProblems } from '@lra/models';
import { resolveConfig } from '../../src/config/resolve.js';
import { lraExperimentPath } from '../../src/config/experiment-file.js';
import { LRA_TABLE_1_MIXERS, LRA_TASKS, publishedForMixer } from '../../src/report/published.js';
import { classifierConfig } from '../../src/train/model-config.js';
import { repoRoot } from '../../src/util/paths.js';

function description(task: string, mixer: string): string {
  const text = readFileSync(join(repoRoot(), 'experiments', 'lra', task, `${mixer}.json`), 'utf8');
  return (JSON.parse(text) as { description: string }).description;
}

describe('experiments/lra holds every LRA Table 1 model on every task', () => {
  for (const task of LRA_TASKS) {
    for (const mixer of LRA_TABLE_1_MIXERS) {
      it(`${task}/${mixer}.json names its LRA config and the published number`, () => {
        expect(lraExperimentPath(task, mixer)).not.toBeNull();
        const text = description(task, mixer);
        expect(text).toMatch(/lra_benchmarks\/[a-z_]+\/configs\/[a-z0-9_/]+\.py/);
        const published = publishedForMixer(mixer)!.scores[task];
        expect(text).toContain(published === null ? 'FAIL' : `${published.toFixed(2)}% test`);
      });
    }
  }
});

describe('every LRA experiment file resolves to a valid model', () => {
  for (const task of LRA_TASKS) {
    for (const mixer of LRA_TABLE_1_MIXERS) {
      it(`${task} x ${mixer}`, () => {
        const { config, layers } = resolveConfig({ task, mixer, preset: 'lra' });
        expect(layers.some((l) => l.endsWith(join('lra', task, `${mixer}.json`)))).toBe(true);
        expect(classifierConfigProblems(classifierConfig(config, getTask(task)))).toEqual([]);
      });
    }
  }
});
