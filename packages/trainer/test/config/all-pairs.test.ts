import { describe, expect, it } from 'vitest';
import { getTask, taskNames } from '@lra/data';
import { classifierConfigProblems, mixerNames } from '@lra/models';
import { resolveConfig } from '../../src/config/resolve.js';
import { classifierConfig } from '../../src/train/model-config.js';

// `lra train` must accept every task with every registered mixer under the LRA settings: the
// config resolves and the model validates, without building or training anything.
describe('every task x mixer resolves under the lra preset', () => {
  for (const task of taskNames) {
    for (const mixer of mixerNames) {
      it(`${task} x ${mixer}`, () => {
        const { config } = resolveConfig({ task, mixer, preset: 'lra' });
        expect(classifierConfigProblems(classifierConfig(config, getTask(task)))).toEqual([]);
      });
    }
  }
});
