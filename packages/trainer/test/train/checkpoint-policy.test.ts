import { describe, expect, it } from 'vitest';
import { CheckpointPolicy } from '../../src/train/checkpoint-policy.js';

describe('checkpoint policy', () => {
  it('writes when a checkpoint costs under 1% of the time since the last, and at least every maxMinutes', async () => {
    let now = 0;
    // 200 MB at the assumed 100 MB/s: 2 s to write, so due after 200 s.
    const policy = new CheckpointPolicy(10, 200e6, () => now);
    now = 199_000;
    expect(policy.due()).toBe(false);
    now = 200_000;
    expect(policy.due()).toBe(true);
    // It took 5 s: the next is due 500 s after it ended.
    const ms = await policy.write(async () => {
      now += 5000;
    });
    expect(ms).toBe(5000);
    now += 499_000;
    expect(policy.due()).toBe(false);
    now += 1000;
    expect(policy.due()).toBe(true);
    await policy.write(async () => {
      now += 30_000; // a slow disk: 100 x 30 s is past the 10-minute ceiling
    });
    now += 599_000;
    expect(policy.due()).toBe(false);
    now += 1000;
    expect(policy.due()).toBe(true);
  });

  it('with maxMinutes 0 writes after every step', () => {
    let now = 0;
    const policy = new CheckpointPolicy(0, 1e9, () => now);
    expect(policy.due()).toBe(true);
    now = 1;
    expect(policy.due()).toBe(true);
  });
});
