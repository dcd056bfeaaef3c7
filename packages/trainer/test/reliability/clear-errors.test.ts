// Bad requests get an error that names what is wrong (and a too-short data.seqLen a
// warning that says how many examples it cuts).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { getTask, type SplitData } from '@lra/data';
import { selectBackend } from '@lra/models';
import { integerFlag } from '../../src/cli/flags.js';
import { resolveConfig } from '../../src/config/resolve.js';
import { checkPartial } from '../../src/config/schema.js';
import { train } from '../../src/train/run.js';
import { truncationWarning } from '../../src/train/truncation.js';
import { silentLogger } from '../../src/util/logger.js';
import { capturingLogger, tempDir, tinyConfig } from './fixtures.js';

describe('clear errors for bad requests', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  it('--resume where no run was started names the missing config.json, not a raw ENOENT', async () => {
    const dir = join(tempDir('resume-nothing'), 'run');
    mkdirSync(dir);
    await expect(train({ resolved: tinyConfig(dir), log: silentLogger(), progress: false, resume: true })).rejects.toThrow(
      `cannot resume ${dir}: it holds no config.json, so no run was started there; run without --resume to start one`,
    );
  });

  it('data.source and data.generator both set: a config error naming both keys', () => {
    // The tiny preset sets a generator for ListOps; a source on top of it asks for two data sets.
    expect(() => tinyConfig(tempDir('both'), ['data.source="/data/lra_release"'])).toThrow(/^data\.source: and data\.generator are both set: give one .*--set data\.generator=null/);
    expect(() => tinyConfig(tempDir('one'), ['data.source="/data/lra_release"', 'data.generator=null'])).not.toThrow();
  });

  it('--seed abc names the flag and what was typed; a NaN reaching the schema is called NaN', () => {
    expect(() => integerFlag('--seed', 'abc')).toThrow('--seed: expected an integer, got "abc"');
    expect(() => integerFlag('--steps', '1e3')).toThrow('--steps: expected an integer, got "1e3"');
    expect(integerFlag('--seed', ' 42 ')).toBe(42);
    expect(() => checkPartial({ seed: Number.NaN }, 'command line')).toThrow('command line: seed: expected an integer, got NaN');
    expect(() => resolveConfig({ task: 'listops', mixer: 'attention', preset: 'tiny', sets: ['train.lr=Infinity'] })).toThrow(/train\.lr: expected a number, got string "Infinity"/);
  });

  it('a data.seqLen shorter than the examples: a warning with how many are cut', async () => {
    const task = getTask('listops');
    const split = await task.read(await generatedListOps(), 'train');
    const longest = Math.max(...Array.from({ length: split.count }, (_, i) => split.documents.length(i)));
    const cut = Array.from({ length: split.count }, (_, i) => split.documents.length(i)).filter((n) => n > 16).length;
    const splits = { train: split, val: split, test: split } as Record<'train' | 'val' | 'test', SplitData>;
    expect(truncationWarning(splits, longest)).toBeNull();
    expect(truncationWarning(splits, 16)).toContain(`data.seqLen 16 is shorter than ${cut} of ${split.count} train examples (longest ${longest})`);

    const { log, messages } = capturingLogger();
    await train({ resolved: tinyConfig(tempDir('short-len'), ['data.seqLen=16', 'train.steps=2', 'train.logEvery=1', 'train.evalEvery=2']), log, progress: false });
    expect(messages.join('\n')).toMatch(/data\.seqLen 16 is shorter than \d+ of 160 train examples \(longest \d+\), \d+ of 32 val examples .*: they are cut to their first 16 tokens/);
  });
});

async function generatedListOps(): Promise<string> {
  const dir = tempDir('listops-src');
  await getTask('listops').generator!.generate(dir, { counts: { train: 40, val: 8, test: 8 }, minLength: 8, maxLength: 40 });
  return dir;
}
