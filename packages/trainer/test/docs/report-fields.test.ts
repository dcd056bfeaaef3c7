// docs/design.md promises the fields of report.json (extend, never rename): every field a report
// holds, and every field of its nested objects, is named on that page.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { SplitData } from '@lra/data';
import type { BackendChoice } from '@lra/models';
import { describe, expect, it } from 'vitest';
import type { ExperimentConfig } from '../../src/config/types.js';
import { buildReport, type PlanReport, type ReportInput } from '../../src/report/report.js';

const page = readFileSync(resolve(__dirname, '../../../../docs/design.md'), 'utf8');

/** The `### report.json` section of the page. */
function reportSection(): string {
  const start = page.indexOf('### `report.json`');
  expect(start).toBeGreaterThan(0);
  const end = page.indexOf('\n## ', start);
  return page.slice(start, end < 0 ? undefined : end);
}

function split(count: number): SplitData {
  return { count, skipped: 0, labels: Int32Array.from({ length: count }, (_, i) => i % 2) } as unknown as SplitData;
}

const plan: PlanReport = {
  requested: 'auto',
  microBatch: 4,
  passes: 2,
  predictedPeakBytes: 1,
  measuredPeakBytes: 1,
  limitBytes: 2,
  limitSource: 'test',
  msPerStep: 1,
  etaSeconds: 1,
};

const input: ReportInput = {
  config: { task: 'listops', mixer: 'attention', preset: 'tiny', seed: 1, train: { steps: 10 } } as unknown as ExperimentConfig,
  layers: ['defaults'],
  backend: { name: 'cpu', tfjsBackend: 'cpu', requested: 'cpu', reason: 'test', rejected: [] } as unknown as BackendChoice,
  params: 10,
  best: { step: 5, valAccuracy: 0.5, valLoss: 1 },
  test: { accuracy: 0.5, loss: 1, count: 4 },
  splits: { train: split(8), val: split(4), test: split(4) },
  variant: 'generated',
  seqLen: 16,
  tokensPerStep: 64,
  msPerStep: { median: 10, p90: 12 },
  peakBytes: 100,
  wallSeconds: 3,
  resumedFrom: null,
  plan,
  testLast: { step: 10, result: { accuracy: 0.25, loss: 2, count: 4 } },
};

/** Field names of the report and of its plain nested objects, except the config and the machine's own records. */
function fieldNames(value: Record<string, unknown>, skip: readonly string[]): string[] {
  return Object.entries(value).flatMap(([key, v]) =>
    skip.includes(key) || typeof v !== 'object' || v === null || Array.isArray(v) ? [key] : [key, ...fieldNames(v as Record<string, unknown>, skip)],
  );
}

describe('docs/design.md lists the fields of report.json', () => {
  it('every field a report holds, nested ones included', () => {
    const report = buildReport(input) as unknown as Record<string, unknown>;
    // The config's keys are listed in its own section; backendInfo, machine and versions are records of their own.
    const names = [...new Set(fieldNames(report, ['config', 'backendInfo', 'machine', 'versions']))];
    expect(names).toEqual(expect.arrayContaining(['metrics', 'valAccuracy', 'majorityRate', 'testLast', 'msPerStep', 'p90', 'plan', 'etaSeconds']));
    const section = reportSection();
    expect(names.filter((name) => !new RegExp(`\\b${name}\\b`).test(section))).toEqual([]);
  });
});
