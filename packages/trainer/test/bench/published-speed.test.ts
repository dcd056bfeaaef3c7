import { describe, expect, it } from 'vitest';
import { isMixerName } from '@lra/models';
import { PUBLISHED_SPEED, PUBLISHED_SPEED_MODEL_OF_MIXER, publishedRelative } from '../../src/bench/published-speed.js';

describe("LRA Table 2's speed and memory", () => {
  it('has the Transformer first and four lengths per row', () => {
    expect(PUBLISHED_SPEED[0]!.model).toBe('Transformer');
    for (const r of PUBLISHED_SPEED) {
      expect(r.stepsPerSec).toHaveLength(4);
      expect(r.memoryGB).toHaveLength(4);
    }
  });

  it('maps real mixers to rows that exist', () => {
    for (const [mixer, model] of Object.entries(PUBLISHED_SPEED_MODEL_OF_MIXER)) {
      expect(isMixerName(mixer), mixer).toBe(true);
      expect(PUBLISHED_SPEED.some((r) => r.model === model), model).toBe(true);
    }
  });

  it('gives ratios to the Transformer at the same length, as the paper prints them', () => {
    // The paper's Table 2 prints Performer at 4K as 5.7x and 0.11 of the memory.
    const performer = publishedRelative('performer', 4096)!;
    expect(performer.speed).toBeCloseTo(8.0 / 1.4, 12);
    expect(performer.speed.toFixed(1)).toBe('5.7');
    expect(performer.memory).toBeCloseTo(1.06 / 9.48, 12);
    expect(publishedRelative('linformer', 2048)).toMatchObject({ model: 'Linformer', speed: 9.1 / 4.9, memory: 0.55 / 2.65 });
    expect(publishedRelative('sinkhorn', 4096)).toMatchObject({ model: 'Sinkhorn Trans.', speed: 5.3 / 1.4, memory: 1.48 / 9.48 });
    expect(publishedRelative('synthesizer', 1024)).toMatchObject({ model: 'Synthesizer', speed: 8.7 / 8.1, memory: 0.65 / 0.85 });
    expect(publishedRelative('fftnet', 1024)).toBeNull();
    expect(publishedRelative('performer', 8192)).toBeNull();
  });
});
