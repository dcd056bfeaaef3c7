// The user docs stand alone: every file or folder they link to or mention exists in the
// repository, and none cites a document a clone does not have.
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findBrokenReferences, headingAnchors, type RepositoryView } from './doc-links.js';

const root = resolve(__dirname, '../../../..');

/** README.md, docs/*.md, the experiments/, docker/ and datasets/ READMEs, and each package's README. */
function userDocs(): string[] {
  const docs = readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`);
  const packages = readdirSync(join(root, 'packages')).map((p) => `packages/${p}/README.md`);
  return ['README.md', ...docs, 'experiments/README.md', 'docker/README.md', 'datasets/README.md', ...packages];
}

describe('links in the user docs', () => {
  const files = userDocs();

  it('covers the three reference documents', () => {
    expect(files).toEqual(expect.arrayContaining(['docs/lra.md', 'docs/design.md', 'docs/mixers.md']));
  });

  it.each(files)('%s: every link and repository path it mentions exists', (file) => {
    const broken = findBrokenReferences(root, file, readFileSync(join(root, file), 'utf8'));
    expect(broken.map((b) => `${b.file}:${b.line}: ${b.reference}: ${b.reason}`)).toEqual([]);
  });
});

describe('no source file cites a document outside the repository', () => {
  // The contributor documents these names stand for are not part of the repository; code cites
  // docs/lra.md, docs/design.md or docs/mixers.md instead.
  const outside = /\b(?:DESIGN|MIXERS|LRA|TFJS|STYLE)\.md\b|\.\.\/shared\b|shared\/docs\b/;
  const self = ['doc-links.ts', 'links.test.ts'];

  function sources(dir: string): string[] {
    return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return entry.name === 'node_modules' || entry.name === 'dist' ? [] : sources(path);
      return /\.(ts|js|py|json)$/.test(entry.name) && !self.includes(entry.name) ? [path] : [];
    });
  }

  it('in packages/, scripts/ and experiments/', () => {
    const files = ['packages', 'scripts', 'experiments'].flatMap((d) => sources(join(root, d)));
    expect(files.length).toBeGreaterThan(100);
    const citing = files.flatMap((path) =>
      readFileSync(path, 'utf8')
        .split('\n')
        .flatMap((text, i) => (outside.test(text) ? [`${path.slice(root.length + 1)}:${i + 1}: ${text.trim()}`] : [])),
    );
    expect(citing).toEqual([]);
  });
});

describe('the reference checker', () => {
  const repo = '/repo';
  const present = new Set([
    '/repo/README.md',
    '/repo/docs',
    '/repo/docs/lra.md',
    '/repo/docs/figures',
    '/repo/docs/figures/a.svg',
    '/repo/packages',
    '/repo/packages/models',
    '/repo/packages/models/README.md',
    '/repo/experiments',
    '/repo/experiments/README.md',
  ]);
  const texts: Record<string, string> = {
    '/repo/docs/lra.md': '# The LRA\n\n## Tasks\n\n### `lra data inspect --json`\n\n```sh\n# not a heading\n```\n',
  };
  const view: RepositoryView = { exists: (path) => present.has(path), read: (path) => texts[path] ?? '' };
  const check = (file: string, text: string): string[] =>
    findBrokenReferences(repo, file, text, view).map((b) => `${b.line}: ${b.reference}: ${b.reason}`);

  it('accepts links relative to the document and mentions relative to the root', () => {
    const text = [
      'See [the tasks](lra.md#tasks), ![chart](figures/a.svg "a chart") and [home](../README.md).',
      'Mixers live in `packages/models/` (packages/models/README.md); the docs in docs/lra.md.',
      '[ref]: ../experiments/README.md',
    ].join('\n');
    expect(check('docs/speed.md', text)).toEqual([]);
  });

  it('ignores URLs, run outputs, data paths and placeholders', () => {
    const text = [
      '[LRA](https://github.com/google-research/long-range-arena/blob/main/docs/x.md), <https://arxiv.org/abs/2011.04006>',
      'writes runs/listops/report.json and datasets/cache/listops/',
      'experiments/lra/<task>/base.json, packages/*/README.md, docs/{a,b}.md, mailto:x@y.z',
    ].join('\n');
    expect(check('README.md', text)).toEqual([]);
  });

  it('reports contributor documents that are not in the repository', () => {
    expect(check('docs/speed.md', 'The classifier of `lra bench` (DESIGN.md) and MIXERS.md.\nSee README.md.')).toEqual([
      '1: DESIGN.md: no such document beside this one or at the repository root',
      '1: MIXERS.md: no such document beside this one or at the repository root',
    ]);
  });

  it('reports paths that leave the repository, linked or mentioned', () => {
    expect(check('experiments/README.md', "`../shared`'s LRA table and [design](../../shared/docs/DESIGN.md)")).toEqual([
      '1: ../../shared/docs/DESIGN.md: points outside the repository',
      '1: ../shared: no such path in the repository',
    ]);
  });

  it('checks #anchors against the headings of the file they point into', () => {
    const text = [
      '## Usage',
      '[a](lra.md#tasks) [b](lra.md#lra-data-inspect---json) [c](#usage) [d](lra.md#the-lra)',
      '[e](lra.md#not-a-heading) [f](#nowhere) [g](../README.md#missing)',
    ].join('\n');
    expect(check('docs/design.md', text)).toEqual([
      '3: lra.md#not-a-heading: no heading has this anchor',
      '3: #nowhere: no heading has this anchor',
      '3: ../README.md#missing: no heading has this anchor',
    ]);
  });

  it('makes anchors as GitHub does: lower case, punctuation dropped, repeats numbered', () => {
    const anchors = headingAnchors('# Design: layout\n## `fnet`: FNet\n## Notes\n## Notes\n### S4D-Lin (v2)');
    expect([...anchors]).toEqual(['design-layout', 'fnet-fnet', 'notes', 'notes-1', 's4d-lin-v2']);
  });

  it('reports missing link targets and mentions, with their lines', () => {
    const text = 'intro\n[missing](mixers.md) and docs/design.md, packages/models/src/gone.ts.\n[x]: ./nowhere/';
    expect(check('docs/lra.md', text)).toEqual([
      '2: mixers.md: link target does not exist',
      '2: docs/design.md: no such path in the repository (mentions are read from the repository root)',
      '2: packages/models/src/gone.ts.: no such path in the repository (mentions are read from the repository root)',
      '3: ./nowhere/: link target does not exist',
    ]);
  });
});
