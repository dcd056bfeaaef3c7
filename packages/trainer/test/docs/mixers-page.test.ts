// docs/mixers.md documents every registered mixer: a section per mixer that names each of its
// options, and test files that exist.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { getMixer, mixerNames } from '@lra/models';
import { describe, expect, it } from 'vitest';

const root = resolve(__dirname, '../../../..');
const page = readFileSync(resolve(root, 'docs/mixers.md'), 'utf8');

/** The text under `### \`name\`...` up to the next heading. */
function mixerSection(name: string): string | null {
  const start = page.search(new RegExp(`^### \`${name}\``, 'm'));
  if (start < 0) return null;
  const rest = page.slice(page.indexOf('\n', start) + 1);
  const end = rest.search(/^#{2,3} /m);
  return end < 0 ? rest : rest.slice(0, end);
}

describe('docs/mixers.md', () => {
  it.each(mixerNames.map((name) => [name]))('has a section on %s naming every option', (name) => {
    const section = mixerSection(name);
    expect(section, `no "### \`${name}\`" section`).not.toBeNull();
    const options = Object.keys(getMixer(name).defaults);
    expect(options.filter((option) => !section!.includes(`\`${option}\``))).toEqual([]);
    expect(section).toMatch(/Check \(`[\w-]+\.test\.ts`\)/);
  });

  it('names only test files that exist', () => {
    const named = [...new Set([...page.matchAll(/`([\w-]+\.test\.ts)`/g)].map((m) => m[1]!))];
    expect(named.length).toBeGreaterThan(mixerNames.length);
    expect(named.filter((file) => !existsSync(resolve(root, 'packages/models/test/mixers', file)))).toEqual([]);
  });
});
