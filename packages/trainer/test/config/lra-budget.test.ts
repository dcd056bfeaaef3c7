// The experiment files that bring this project's own mixers within LRA's parameter budget
// (written by scripts/budget/lra-budget.mjs) keep them within 1.1x the base Transformer.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { getTask } from '@lra/data';
import { describeClassifier, selectBackend } from '@lra/models';
import { resolveConfig } from '../../src/config/resolve.js';
import { LRA_PARAM_BUDGET } from '../../src/report/mixer-params.js';
import { classifierConfig } from '../../src/train/model-config.js';

const root = resolve(__dirname, '../../../..');
const lraDir = join(root, 'experiments', 'lra');

const budgetFiles = readdirSync(lraDir).flatMap((task) =>
  readdirSync(join(lraDir, task))
    .filter((f) => f.endsWith('.json'))
    .map((f) => ({ task, mixer: f.replace(/\.json$/, ''), text: readFileSync(join(lraDir, task, f), 'utf8') }))
    .filter((f) => f.text.includes("within LRA's parameter budget")),
);

const params = (task: string, mixer: string) =>
  describeClassifier(classifierConfig(resolveConfig({ task, mixer, preset: 'lra' }).config, getTask(task))).total;

describe("experiment files within LRA's parameter budget", () => {
  beforeAll(async () => {
    await selectBackend('cpu');
  });

  it('exist for the mixers that are over it at the preset alone', () => {
    expect(budgetFiles.map((f) => `${f.task}/${f.mixer}`)).toEqual(expect.arrayContaining(['listops/fftnet', 'text/gfnet', 'image/hyena']));
  });

  for (const f of budgetFiles) {
    it(`${f.task} x ${f.mixer}: at most ${LRA_PARAM_BUDGET}x the Transformer, with the count its description states`, () => {
      const ours = params(f.task, f.mixer);
      const transformer = params(f.task, 'attention');
      expect(ours / transformer).toBeLessThanOrEqual(LRA_PARAM_BUDGET);
      expect(f.text).toContain(`${ours.toLocaleString('en-US')} parameters = ${(ours / transformer).toFixed(2)}x`);
    });
  }
});
