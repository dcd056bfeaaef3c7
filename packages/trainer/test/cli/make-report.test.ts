import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { config, report, writeRun } from '../report/fixtures.js';

const root = resolve(__dirname, '../../../..');
const gitStatus = () => execFileSync('git', ['status', '--porcelain', '--untracked-files=all'], { cwd: root, encoding: 'utf8' });

describe('make report', () => {
  it('writes the leaderboard where OUT says and leaves nothing new in the repository', () => {
    const runs = mkdtempSync(join(tmpdir(), 'lra-make-report-runs-'));
    writeRun(join(runs, 'a'), report(config({ seed: 1 }), { testAccuracy: 0.3 }));
    writeRun(join(runs, 'b'), report(config({ seed: 2 }), { testAccuracy: 0.4 }));
    const out = join(mkdtempSync(join(tmpdir(), 'lra-make-report-out-')), 'board.md');
    const before = gitStatus();
    const r = spawnSync('make', ['-s', 'report', `RUNS=${runs}`, `OUT=${out}`], { cwd: root, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(out)).toBe(true);
    expect(existsSync(out.replace(/\.md$/, '.json'))).toBe(true);
    expect(r.stdout).toContain('# LRA leaderboard');
    expect(gitStatus()).toBe(before);
  }, 120_000);
});
