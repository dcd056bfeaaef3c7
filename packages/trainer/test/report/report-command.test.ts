import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import yargs from 'yargs';
import { reportCommand } from '../../src/cli/commands/report.js';
import { config, report, writeRun, writeUnfinishedRun } from './fixtures.js';

async function lraReport(args: string[]): Promise<{ stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((stdout += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true));
  await reportCommand(yargs(['report', ...args]).strict().exitProcess(false).fail((msg, err) => {
    throw err ?? new Error(msg);
  })).parseAsync();
  return { stdout, stderr };
}

function sweepFolder(): string {
  const root = mkdtempSync(join(tmpdir(), 'lra-report-cmd-'));
  for (const mixer of ['attention', 'fftnet'])
    for (const seed of [1, 2]) writeRun(join(root, `listops-${mixer}-s${seed}`), report(config({ mixer, seed }), { testAccuracy: 0.2 + seed / 100 }));
  writeUnfinishedRun(join(root, 'listops-attention-s3'), config({ seed: 3 }), 25);
  return root;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('lra report', () => {
  it('prints the leaderboard beside the published numbers for a results folder', async () => {
    const { stdout } = await lraReport([sweepFolder()]);
    expect(stdout).toContain('# LRA leaderboard');
    expect(stdout).toContain('4 finished run(s) in 2 experiment(s), 1 unfinished');
    expect(stdout).toContain('| attention | tiny | 21.50 ± 0.71 (n=2) |');
    expect(stdout).toContain('| ↳ published: Transformer |');
    expect(stdout).toMatch(/\| fftnet \| tiny \| [\d,]+ \| 2 \(1, 2\) \| 21\.50 ± 0\.71 \(n=2\) \| [\d.]+ \| - \| not published \|/);
    expect(stdout).toContain('step 25 of 100');
  });

  it('--json prints the same leaderboard as JSON; --out writes markdown and JSON files', async () => {
    const root = sweepFolder();
    const json = JSON.parse((await lraReport([root, '--json'])).stdout);
    expect(json.entries.map((e: { mixer: string }) => e.mixer)).toEqual(['attention', 'fftnet']);
    expect(json.conventions.accuracyUnit).toBe('percent');
    const out = join(root, 'board.md');
    const { stdout, stderr } = await lraReport([root, '--out', out]);
    expect(readFileSync(out, 'utf8')).toBe(stdout);
    expect(JSON.parse(readFileSync(join(root, 'board.json'), 'utf8')).entries.length).toBe(2);
    expect(stderr).toContain(`wrote ${out} and ${join(root, 'board.json')}`);
  });

  it('fails clearly on an empty folder and on a missing one', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'lra-report-empty-'));
    await expect(lraReport([empty])).rejects.toThrow(`no runs under ${empty}`);
    await expect(lraReport([join(empty, 'missing')])).rejects.toThrow(/missing: no such file or folder/);
  });
});
