// Every model key of the config schema, and every learning-rate schedule, is documented where the
// config is: docs/design.md (Configs), or docs/memory.md for the memory settings.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';

const docs = ['docs/design.md', 'docs/memory.md'].map((p) => readFileSync(resolve(__dirname, '../../../..', p), 'utf8')).join('\n');

describe('the documented config', () => {
  it.each(Object.keys(configSchema.model))('names model.%s', (key) => {
    expect(docs).toMatch(new RegExp(`(model\\.|\\b)${key}\\b`));
  });

  it.each([...configSchema.train.schedule.values])('names the schedule %s', (schedule) => {
    expect(docs).toContain(`\`${schedule}\``);
  });

  it.each([...configSchema.model.backbone.values, ...configSchema.model.norm.values, ...configSchema.model.head.values])(
    'names the backbone setting %s',
    (value) => {
      expect(docs).toContain(`\`${value}\``);
    },
  );
});
