// docs/lra.md prints the published tables that `lra report` and `lra bench --table` quote: the
// page and the code must carry the same numbers, row for row.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PUBLISHED_SPEED } from '../../src/bench/published-speed.js';
import { PUBLISHED_MODEL_OF_MIXER, PUBLISHED_MODELS } from '../../src/report/published.js';

const page = readFileSync(resolve(__dirname, '../../../../docs/lra.md'), 'utf8');

/** The text of a `## title` section, up to the next `## `. */
function section(title: string): string {
  const start = page.indexOf(`\n## ${title}\n`);
  if (start < 0) throw new Error(`docs/lra.md has no section "## ${title}"`);
  const end = page.indexOf('\n## ', start + 1);
  return page.slice(start, end < 0 ? undefined : end);
}

/** The body rows of every table in a section, as trimmed cells (header and rule rows left out). */
function tableRows(text: string): string[][] {
  const rows = text
    .split('\n')
    .filter((line) => line.startsWith('|'))
    .map((line) => line.slice(1, line.endsWith('|') ? -1 : undefined).split('|').map((c) => c.trim()));
  return rows.filter((cells, i) => !/^-+$/.test(cells[0]!) && !/^-+$/.test(rows[i + 1]?.[0] ?? ''));
}

const score = (cell: string): number | null => (cell === 'FAIL' || cell === '-' ? null : Number(cell));

describe('docs/lra.md agrees with the published numbers in the code', () => {
  const accuracy = tableRows(section('Published accuracy'));
  const speed = tableRows(section('Published speed and memory'));

  it('has one accuracy row per published model, and no other', () => {
    expect(accuracy.map((r) => r[0])).toEqual(PUBLISHED_MODELS.map((m) => m.model));
  });

  it.each(PUBLISHED_MODELS.map((m) => [m.model, m] as const))('%s: the same scores, FAIL and average', (name, model) => {
    const cells = accuracy.find((r) => r[0] === name)!;
    const tasks = ['listops', 'text', 'retrieval', 'image', 'pathfinder', 'pathx'] as const;
    expect(Object.fromEntries(tasks.map((t, i) => [t, score(cells[i + 1]!)]))).toEqual(model.scores);
    expect(cells[6] === 'FAIL').toBe(model.pathxFailed);
    if (model.statedAverage !== null) expect(Number(cells[7])).toBe(model.statedAverage);
    else expect(cells[7]).toBe(model.source);
  });

  it('has the speed and memory of every Table 2 row', () => {
    expect(speed.map((r) => r[0])).toEqual(PUBLISHED_SPEED.map((r) => r.model));
    for (const row of PUBLISHED_SPEED) {
      const cells = speed.find((r) => r[0] === row.model)!.slice(1).map(Number);
      expect({ model: row.model, stepsPerSec: cells.slice(0, 4), memoryGB: cells.slice(4, 8) }).toEqual({
        model: row.model,
        stepsPerSec: [...row.stepsPerSec],
        memoryGB: [...row.memoryGB],
      });
    }
  });

  it('names the published row of each mixer that has one', () => {
    const prose = page.replace(/\s+/g, ' ');
    for (const [mixer, model] of Object.entries(PUBLISHED_MODEL_OF_MIXER)) expect(prose).toContain(`\`${mixer}\` ${model}`);
  });
});
