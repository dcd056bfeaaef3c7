// Through the program: `lra data inspect --skip-bad` shows how many records were skipped,
// and a truncated last CIFAR record is counted once, in the split its place in TFDS's order gives
// it: place 20 of 21, which falls in train (packages/data/test/fixtures/cifar-tfds-order.json).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from './fixtures.js';

const root = resolve(__dirname, '../../../..');
const bin = join(root, 'packages/trainer/bin/lra.js');
const RECORD = 3073;

/** cifar-10-batches-bin/ with 4 records per training file, the last file cut inside a fifth. */
function cifarWithTruncatedRecord(): string {
  const dir = join(tempDir('cifar'), 'cifar-10-batches-bin');
  mkdirSync(dir, { recursive: true });
  const records = (n: number, extra = 0) => {
    const bytes = new Uint8Array(n * RECORD + extra);
    for (let r = 0; r < n; r++) bytes[r * RECORD] = r % 10;
    return bytes;
  };
  for (let f = 1; f <= 5; f++) writeFileSync(join(dir, `data_batch_${f}.bin`), records(4, f === 5 ? 1000 : 0));
  writeFileSync(join(dir, 'test_batch.bin'), records(3));
  return dir;
}

describe('lra data inspect --skip-bad', () => {
  beforeAll(() => {
    if (!existsSync(join(root, 'packages/trainer/dist/cli/main.js'))) spawnSync('npx', ['tsc', '-b'], { cwd: root, stdio: 'inherit' });
  }, 180_000);

  it('shows the skipped count, in the split the bad record belongs to', () => {
    const source = cifarWithTruncatedRecord();
    const inspect = (split: string) => {
      const r = spawnSync(process.execPath, [bin, 'data', 'inspect', '--task', 'image', '--split', split, '--source', source, '--skip-bad', '--json'], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as { count: number; skipped: number };
    };
    expect(inspect('train')).toMatchObject({ count: 18, skipped: 1 });
    expect(inspect('val')).toMatchObject({ count: 2, skipped: 0 });
    const strict = spawnSync(process.execPath, [bin, 'data', 'inspect', '--task', 'image', '--split', 'val', '--source', source], { encoding: 'utf8' });
    expect(strict.status).toBe(1);
    expect(strict.stderr).toMatch(/data_batch_5\.bin:5: size 13292 is not a multiple of 3073/);
  });
});
