import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { getTask } from '@lra/data';
import { getMixer } from '@lra/models';

const root = resolve(__dirname, '../../../..');
const bin = join(root, 'packages/trainer/bin/lra.js');

function lra(args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, LRA_LOG_LEVEL: 'warn' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('the lra program', () => {
  beforeAll(() => {
    // `make test` builds first; a bare `vitest run` on a fresh clone builds here.
    if (!existsSync(join(root, 'packages/trainer/dist/cli/main.js'))) spawnSync('npx', ['tsc', '-b'], { cwd: root, stdio: 'inherit' });
  }, 180_000);

  it('bench --rounds alternates the thread counts of a cell and reports each count\'s medians, every round kept', () => {
    const bad = lra(['bench', '--mixers', 'fnet', '--rounds', '0']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--rounds must be a whole number >= 1/);
    expect(lra(['bench', '--ops', 'rfft', '--rounds', '2']).stderr).toMatch(/--rounds goes with --mixers/);
    const run = lra(['bench', '--mixers', 'fnet', '--lengths', '16', '--threads', '1,2', '--rounds', '2', '--warmup', '0', '--repeats', '1',
      '--batch', '1', '--d-model', '8', '--heads', '2', '--mlp-dim', '8', '--backend', 'wasm', '--json']);
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout) as { results: Array<{ requestedThreads: number; stepMs: number; roundStepMs: number[] }>; scaling: unknown[] };
    expect(out.results.map((r) => r.requestedThreads)).toEqual([1, 2]);
    for (const r of out.results) {
      expect(r.roundStepMs).toHaveLength(2);
      expect(r.stepMs).toBeCloseTo((r.roundStepMs[0]! + r.roundStepMs[1]!) / 2, 9);
    }
    expect(out.scaling).toHaveLength(1);
  }, 60_000);

  it('rejects an unknown task, mixer and config key in one line each, exit code 1', () => {
    const task = lra(['train', '--task', 'sudoku', '--mixer', 'attention']);
    expect(task.code).toBe(1);
    expect(task.stderr.trim()).toMatch(/^lra: error: .*unknown task "sudoku"; known: listops/);
    const mixer = lra(['train', '--task', 'listops', '--mixer', 'transformerz']);
    expect(mixer.code).toBe(1);
    expect(mixer.stderr.trim()).toMatch(/^lra: error: .*unknown mixer "transformerz".*attention/);
    const key = lra(['train', '--task', 'listops', '--mixer', 'attention', '--set', 'train.learning_rate=1']);
    expect(key.code).toBe(1);
    expect(key.stderr.trim()).toBe('lra: error: --set: train.learning_rate: unknown key (known here: batchSize, steps, lr, schedule, warmup, weightDecay, beta1, beta2, eps, gradClipNorm, evalEvery, evalBatches, evalBatchSize, logEvery, microBatch, checkpointMinutes, memoryLimitMiB)');
  });

  it('says what is wrong with its own arguments in one line and where the options are, exit code 1 like every error', () => {
    const r = lra(['train', '--task', 'listops']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('lra: error: Missing required argument: mixer\n(lra train --help lists its options)\n');
    const preset = lra(['train', '--task', 'listops', '--mixer', 'attention', '--preset', 'tin']);
    expect(preset.code).toBe(1);
    expect(preset.stderr).toBe('lra: error: --preset: got "tin"; choose one of "lra", "small", "tiny"\n(lra train --help lists its options)\n');
    const backend = lra(['eval', '--run', 'x', '--backend', 'gpu']);
    expect(backend.code).toBe(1);
    expect(backend.stderr.split('\n')[0]).toMatch(/^lra: error: --backend: got "gpu"; choose one of "auto", /);
    const none = lra([]);
    expect(none.code).toBe(1);
    expect(none.stderr).toBe('lra: error: choose a command\n(lra --help lists the commands)\n');
  });

  it('prints help without splitting words and with whole examples', () => {
    const r = lra(['train', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('lra train --task listops --mixer attention --preset tiny');
    // Unwrapped in a pipe: each option's description is on its own line, whole.
    expect(r.stdout).toMatch(/--verify +hash every cache file against its manifest, even when its size and mtime match the last check /);
  });

  it('describes every option of every command', () => {
    for (const command of [['train'], ['eval'], ['data', 'prepare'], ['data', 'inspect'], ['mixers'], ['bench'], ['report'], ['sweep'], ['analyze'], ['check']]) {
      const help = lra([...command, '--help']).stdout;
      expect(help, command.join(' ')).toContain('Options:');
      // An option line that goes straight from its name to its [type] has no description.
      const bare = help.split('\n').filter((line) => /^\s+(-\w, )?--[a-z-]+\s+\[/.test(line));
      expect(bare, command.join(' ')).toEqual([]);
    }
  });

  it('data inspect reads official-format files generated elsewhere and prints the fields docs/design.md lists', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lra-cli-listops-'));
    await getTask('listops').generator!.generate(dir, { counts: { train: 20, val: 10, test: 30 }, minLength: 8, maxLength: 40 });
    const r = lra(['data', 'inspect', '--task', 'listops', '--split', 'test', '--source', dir, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out).sort()).toEqual(['count', 'first', 'labelCounts', 'numClasses', 'seqLen', 'skipped', 'split', 'task', 'vocabSize'].sort());
    expect(out).toMatchObject({ task: 'listops', split: 'test', count: 30, seqLen: 2000, numClasses: 10 });
    expect(out.first.tokens.length).toBeLessThanOrEqual(32);
  });

  it('lists the mixers with their parameter counts', () => {
    const r = lra(['mixers', '--json']);
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as Array<{ name: string; params: number; paper: string }>;
    const attention = rows.find((m) => m.name === 'attention')!;
    // Q, K, V and output projections at d_model 64, without biases as in LRA: 4 * 64 * 64.
    expect(attention.params).toBe(4 * 64 * 64);
    expect(attention.paper).toMatch(/Vaswani/);
  });

  it("says which implementations each mixer has, LRA's code only for its Table 1 ports", () => {
    const json = lra(['mixers', '--json']);
    expect(json.code).toBe(0);
    const rows = JSON.parse(json.stdout) as Array<{ name: string; kind: string; implementations: string[] }>;
    // From each spec's impl choices; clean only without them.
    for (const row of rows) {
      const choices = (getMixer(row.name).choices ?? {}) as Record<string, readonly unknown[] | undefined>;
      expect(row.implementations, row.name).toEqual(choices.impl ? choices.impl.map(String) : ['clean']);
    }
    for (const name of ['sparse-transformer', 'longformer', 'sinkhorn', 'synthesizer']) {
      expect(rows.find((m) => m.name === name)?.implementations, name).toEqual(['lra']);
    }
    const text = lra(['mixers', '--seq-len', '1000']);
    expect(text.code).toBe(0);
    const lines = text.stdout.split('\n');
    expect(lines[1]).toMatch(/^mixer\s+params\s+kind\s+impl\s+model$/);
    expect(lines.find((l) => l.startsWith('sinkhorn '))).toMatch(/^sinkhorn\s+\d+\s+attention\s+lra\s+Sinkhorn Transformer/);
    for (const row of rows) {
      const line = lines.find((l) => l.startsWith(`${row.name} `));
      expect(line?.split(/\s+/).slice(2, 4), row.name).toEqual([row.kind, row.implementations.join(',')]);
    }
  });

  it('counts whole LRA models per mixer against the base Transformer', () => {
    const r = lra(['mixers', '--task', 'listops', '--json']);
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as Array<{ name: string; modelParams: number; ratioToTransformer: number; withinLraBudget: boolean }>;
    const attention = rows.find((m) => m.name === 'attention')!;
    // LRA ListOps Transformer: embeddings 17x512 + CLS 512; 4 blocks of 2 LayerNorms (2x1024),
    // Q/K/V/O 4x512^2 and a 512-1024-512 MLP with biases; the final LayerNorm; head 512-1024-10.
    const block = 2 * 1024 + 4 * 512 * 512 + (512 * 1024 + 1024) + (1024 * 512 + 512);
    expect(attention.modelParams).toBe(17 * 512 + 512 + 4 * block + 1024 + (512 * 1024 + 1024) + (1024 * 10 + 10));
    expect(attention.ratioToTransformer).toBe(1);
    expect(attention.withinLraBudget).toBe(true);
  });
});

describe('a step that cannot fit', () => {
  it('is refused before training with what it needs, the limit and what to set (exit 1)', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'lra-nofit-data-'));
    const out = mkdtempSync(join(tmpdir(), 'lra-nofit-'));
    const r = lra([
      'train', '--task', 'listops', '--mixer', 'attention', '--preset', 'tiny', '--backend', 'wasm', '--data-dir', dataDir, '--out', out,
      '--set', 'data.generator={"counts":{"train":64,"val":16,"test":16},"minLength":8,"maxLength":32}', 'train.memoryLimitMiB=1',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n').pop()).toMatch(
      /^lra: error: a training step does not fit: it needs about [\d.]+ MiB and the limit is 1\.0 MiB \(train\.memoryLimitMiB\); set model\.recompute=block/,
    );
  });
});
