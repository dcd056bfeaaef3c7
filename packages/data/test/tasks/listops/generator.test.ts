import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ListOpsTreeSampler,
  generateListOps,
  listopsGeneratorDefaults,
  listopsGeneratorPresets,
  resolveListOpsGeneratorOptions,
} from '../../../src/tasks/listops/generator.js';
import { readListOpsSplit } from '../../../src/tasks/listops/reader.js';
import type { SplitData } from '../../../src/types.js';
import { official, parseOfficial, value, type Expr } from './official-format.js';
import { flat } from '../../synthetic-split.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'listops-gen-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Data rows of an official-format file, checking the header and the CRLF line ends. */
async function rowsOf(path: string): Promise<Array<{ source: string; label: number }>> {
  const text = await readFile(path, 'latin1');
  const lines = text.split('\r\n');
  expect(lines[0]).toBe('Source\tTarget');
  expect(lines.at(-1)).toBe('');
  expect(text.replaceAll('\r\n', '')).not.toMatch(/[\r\n]/);
  return lines.slice(1, -1).map((line) => {
    const [source, label, ...rest] = line.split('\t');
    expect(rest).toEqual([]);
    expect(label).toMatch(/^\d$/);
    return { source: source!, label: Number(label) };
  });
}

function depthOf(e: Expr): number {
  return typeof e === 'number' ? 1 : 1 + Math.max(...e.slice(1).map((a) => depthOf(a as Expr)));
}

function operatorsOf(e: Expr, out: Array<{ op: string; args: number }> = []): Array<{ op: string; args: number }> {
  if (typeof e !== 'number') {
    out.push({ op: e[0], args: e.length - 1 });
    for (const a of e.slice(1)) operatorsOf(a as Expr, out);
  }
  return out;
}

describe('generateListOps', () => {
  const options = { seed: 7, counts: { train: 300, val: 40, test: 60 }, minLength: 20, maxLength: 60, maxDepth: 5, maxArgs: 4 };
  let files: string[];
  let rows: Array<{ source: string; label: number; expr: Expr; split: string }>;
  let read: Record<string, SplitData>;

  beforeAll(async () => {
    ({ files } = await generateListOps(join(dir, 'a'), options));
    rows = [];
    for (const [split, path] of [['train', files[0]!], ['val', files[1]!], ['test', files[2]!]] as const) {
      for (const row of await rowsOf(path)) rows.push({ ...row, expr: parseOfficial(row.source), split });
    }
    read = {};
    for (const split of ['train', 'val', 'test'] as const) read[split] = await readListOpsSplit(join(dir, 'a'), split);
  });

  it('writes basic_{train,val,test}.tsv with the asked counts', () => {
    expect(files).toEqual(['train', 'val', 'test'].map((s) => join(dir, 'a', `basic_${s}.tsv`)));
    expect(rows.filter((r) => r.split === 'train')).toHaveLength(300);
    expect(rows.filter((r) => r.split === 'val')).toHaveLength(40);
    expect(rows.filter((r) => r.split === 'test')).toHaveLength(60);
  });

  it("prints every tree exactly as LRA's to_string does, and labels it with LRA's to_value", () => {
    for (const row of rows) {
      expect(official(row.expr)).toBe(row.source);
      expect(value(row.expr)).toBe(row.label);
    }
  });

  it('reads back through the official reader with the same labels (every label verified)', () => {
    for (const split of ['train', 'val', 'test'] as const) {
      const data = read[split]!;
      expect(data.skipped).toBe(0);
      expect(Array.from(data.labels)).toEqual(rows.filter((r) => r.split === split).map((r) => r.label));
    }
  });

  it('keeps lengths strictly inside (minLength, maxLength)', () => {
    const lengths = Object.values(read).flatMap((d) => Array.from({ length: d.count }, (_, i) => flat(d).offsets[i + 1]! - flat(d).offsets[i]!));
    expect(Math.min(...lengths)).toBe(21);
    expect(Math.max(...lengths)).toBeLessThan(60);
  });

  it('has no duplicate across splits', () => {
    expect(new Set(rows.map((r) => r.source)).size).toBe(rows.length);
  });

  it('respects maxDepth and maxArgs, and reaches them', () => {
    const depths = rows.map((r) => depthOf(r.expr));
    expect(Math.max(...depths)).toBe(5);
    const ops = rows.flatMap((r) => operatorsOf(r.expr));
    const arities = new Set(ops.map((o) => o.args));
    expect([...arities].sort()).toEqual([2, 3, 4]);
  });

  it('uses all four operators and every label', () => {
    const ops = new Set(rows.flatMap((r) => operatorsOf(r.expr).map((o) => o.op)));
    expect([...ops].sort()).toEqual(['[MAX', '[MED', '[MIN', '[SM']);
    expect(new Set(rows.map((r) => r.label)).size).toBe(10);
  });

  it('is deterministic for a seed and changes with it', async () => {
    const again = await generateListOps(join(dir, 'b'), options);
    const other = await generateListOps(join(dir, 'c'), { ...options, seed: 8 });
    for (let i = 0; i < 3; i++) {
      expect(await readFile(again.files[i]!)).toEqual(await readFile(files[i]!));
      expect(await readFile(other.files[i]!)).not.toEqual(await readFile(files[i]!));
    }
  });

  it('keeps the test and val splits of a seed when only the training count changes', async () => {
    const more = await generateListOps(join(dir, 'd'), { ...options, counts: { ...options.counts, train: 500 } });
    expect(await readFile(more.files[1]!)).toEqual(await readFile(files[1]!));
    expect(await readFile(more.files[2]!)).toEqual(await readFile(files[2]!));
  });

  it('stops, leaving no file behind, when there are too few distinct trees for the counts', async () => {
    // maxDepth 2 and maxArgs 2 allow only [OP d d X: 4 * 10 * 10 = 400 distinct trees.
    await expect(
      generateListOps(join(dir, 'e'), { minLength: 3, maxLength: 5, maxDepth: 2, maxArgs: 2, counts: { train: 500, val: 1, test: 1 } }),
    ).rejects.toThrow('samples in a row gave no new tree of 3 < length < 5 after 400; too few distinct trees for the counts asked');
    expect(await readdir(join(dir, 'e'))).toEqual([]);
  });
});

describe('resolveListOpsGeneratorOptions', () => {
  it("defaults to LRA's settings", () => {
    expect(resolveListOpsGeneratorOptions()).toEqual({
      seed: 1,
      counts: { train: 96_000, val: 2_000, test: 2_000 },
      minLength: 500,
      maxLength: 2000,
      maxDepth: 10,
      maxArgs: 10,
    });
    expect(resolveListOpsGeneratorOptions(listopsGeneratorPresets.official)).toEqual(listopsGeneratorDefaults);
    expect(resolveListOpsGeneratorOptions({ counts: { test: 5 } }).counts).toEqual({ train: 96_000, val: 2_000, test: 5 });
  });

  it('rejects unknown keys and values out of range', () => {
    expect(() => resolveListOpsGeneratorOptions({ maxLen: 5 } as never)).toThrow(
      'listops generator: unknown option "maxLen"; known: seed, counts, minLength, maxLength, maxDepth, maxArgs',
    );
    expect(() => resolveListOpsGeneratorOptions({ counts: { dev: 5 } as never })).toThrow('unknown split "dev" in counts');
    expect(() => resolveListOpsGeneratorOptions({ minLength: 10, maxLength: 11 })).toThrow('maxLength must be an integer in [12,');
    expect(() => resolveListOpsGeneratorOptions({ maxArgs: 1 })).toThrow('maxArgs must be an integer in [2, 255], got 1');
    expect(() => resolveListOpsGeneratorOptions({ counts: { train: 1.5 } })).toThrow('counts.train must be an integer');
    // Depth 3 and 2 arguments allow at most 2 + 2 * (2 + 2 * 1) = 10 tokens.
    expect(() => resolveListOpsGeneratorOptions({ maxDepth: 3, maxArgs: 2, minLength: 10, maxLength: 20 })).toThrow(
      'no tree is longer than minLength 10 with maxDepth 3 and maxArgs 2 (longest: 10)',
    );
  });
});

/** mulberry32: a small seeded generator for the sampler tests, independent of seedrandom. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** LRA's generate_tree written plainly, without stopping early: returns [expr, length]. */
function referenceTree(depth: number, maxDepth: number, maxArgs: number, random: () => number): [Expr, number] {
  const r = depth < maxDepth ? random() : 1;
  if (r > 0.25) return [Math.floor(random() * 10), 1];
  const count = 2 + Math.floor(random() * (maxArgs - 1));
  const args: Expr[] = [];
  let length = 2;
  for (let i = 0; i < count; i++) {
    const [e, n] = referenceTree(depth + 1, maxDepth, maxArgs, random);
    args.push(e);
    length += n;
  }
  const op = ['[MIN', '[MAX', '[MED', '[SM'][Math.floor(random() * 4)]!;
  return [[op, ...args], length];
}

describe('ListOpsTreeSampler', () => {
  it('draws as generate_tree does: a quarter of roots are operators', () => {
    const sampler = new ListOpsTreeSampler(resolveListOpsGeneratorOptions({ minLength: 0, maxLength: 100_000 }), mulberry32(12345));
    let operatorRoots = 0;
    const n = 4000;
    for (let i = 0; i < n; i++) {
      sampler.sample();
      if (sampler.length > 1) operatorRoots++;
    }
    // Binomial(4000, 0.25): standard deviation 27.
    expect(Math.abs(operatorRoots - n / 4)).toBeLessThan(120);
  });

  it('stops trees early at maxLength without changing the distribution of the kept ones', () => {
    const opts = resolveListOpsGeneratorOptions({ minLength: 20, maxLength: 60 });
    const n = 3000;
    const sampler = new ListOpsTreeSampler(opts, mulberry32(99));
    const kept: number[] = [];
    const keptLabels = new Array<number>(10).fill(0);
    while (kept.length < n) {
      if (!sampler.sample()) continue;
      kept.push(sampler.length);
      keptLabels[sampler.value]!++;
      if (kept.length % 10 === 0) expect(sampler.format()).toBe(official(parseOfficial(sampler.format())));
    }
    const reference: number[] = [];
    const referenceLabels = new Array<number>(10).fill(0);
    const random = mulberry32(4242);
    while (reference.length < n) {
      const [e, length] = referenceTree(1, 10, 10, random);
      if (length > 20 && length < 60) {
        reference.push(length);
        referenceLabels[value(e)]!++;
      }
    }
    expect(Math.min(...kept)).toBe(21);
    expect(Math.max(...kept)).toBe(59);
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    // Lengths in (20, 60) have a standard deviation near 11: the difference of two means of 3000
    // has a standard error near 0.3.
    expect(Math.abs(mean(kept) - mean(reference))).toBeLessThan(1.2);
    // Each label's share: standard error of a difference near 0.008.
    for (let c = 0; c < 10; c++) expect(Math.abs(keptLabels[c]! - referenceLabels[c]!) / n).toBeLessThan(0.035);
  });
});
