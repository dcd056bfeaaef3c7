// The events files a training run writes, read back by an independent decoder (event-reader.ts):
// framing and checksums, the file_version, the config as text, and every scalar against
// metrics.jsonl, for a run from start to end and for a run stopped and resumed.
import { appendFileSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { crc32c, maskedCrc32c } from '../../src/tensorboard/crc32c.js';
import { train } from '../../src/train/run.js';
import { silentLogger } from '../../src/util/logger.js';
import { prepareSharedData, tempDir, tinyConfig } from '../reliability/fixtures.js';
import { crc32cBitwise, mask, readTfRecords } from './event-reader.js';
import { eventFiles, eventsOf, expectedScalars, scalarEvents } from './run-events.js';

const DT_STRING = 7;
const DATA_CLASS_TENSOR = 2;

describe('crc32c', () => {
  it('has the check value of CRC-32C, bitwise and table-driven alike', () => {
    const check = new TextEncoder().encode('123456789');
    expect(crc32cBitwise(check)).toBe(0xe3069283);
    expect(crc32c(check)).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(0))).toBe(0);
    const bytes = Uint8Array.from({ length: 1000 }, (_, i) => (i * 131 + 7) & 0xff);
    expect(crc32c(bytes)).toBe(crc32cBitwise(bytes));
    expect(maskedCrc32c(bytes)).toBe(mask(crc32cBitwise(bytes)));
  });
});

describe('a training run', () => {
  let run: string;
  beforeAll(async () => {
    await prepareSharedData();
    run = tempDir('tb');
    await train({ resolved: tinyConfig(run), log: silentLogger(), progress: false });
  }, 180_000);

  it('writes one events file, tb/events.out.tfevents.<seconds>.<hostname>, every record checksummed', () => {
    const files = eventFiles(run);
    expect(files).toHaveLength(1);
    const name = files[0]!.split('/').at(-1)!;
    expect(name).toMatch(new RegExp(`^events\\.out\\.tfevents\\.\\d{10}\\.${hostname().replace(/[.]/g, '\\.')}$`));
    const seconds = Number(name.split('.')[3]);
    expect(Math.abs(seconds - Date.now() / 1000)).toBeLessThan(600);
    expect(readTfRecords(files[0]!).length).toBeGreaterThan(3); // throws on any bad checksum
  });

  it('starts with the file version, then the resolved config as a text tensor', () => {
    const [first, second] = eventsOf(eventFiles(run)[0]!);
    expect(first!.fileVersion).toBe('brain.Event:2');
    expect(first!.step).toBe(0);
    expect(second!.step).toBe(0);
    const config = second!.values[0]!;
    expect(config.tag).toBe('config');
    expect(config.pluginName).toBe('text');
    expect(config.dataClass).toBe(DATA_CLASS_TENSOR);
    expect(config.tensor!.dtype).toBe(DT_STRING);
    expect(config.tensor!.rank).toBe(0);
    // A Markdown code block: four spaces before each line of the JSON.
    const json = config.tensor!.strings[0]!.split('\n').map((l) => l.slice(4)).join('\n');
    expect(JSON.parse(json)).toEqual(JSON.parse(readFileSync(join(run, 'config.json'), 'utf8')));
  });

  it('holds every number of metrics.jsonl as a scalar at its step and time, train steps increasing', () => {
    const events = eventsOf(eventFiles(run)[0]!);
    const scalars = scalarEvents(events);
    const expected = expectedScalars(run);
    expect(scalars).toEqual(expected);
    const tags = new Set(scalars.flatMap((e) => e.values.map((v) => v.tag)));
    for (const tag of ['train/loss', 'train/accuracy', 'train/lr', 'train/stepsPerSec', 'train/tokensPerSec', 'train/peakBytes', 'val/loss', 'val/accuracy', 'test/loss', 'test/accuracy', 'test-last/accuracy'])
      expect(tags).toContain(tag);
    const trainSteps = scalars.filter((e) => e.values[0]!.tag.startsWith('train/')).map((e) => e.step);
    expect(trainSteps).toEqual([2, 4, 6, 8]);
    expect(scalars.find((e) => e.values.some((v) => v.tag === 'train/peakBytes'))!.values.find((v) => v.tag === 'train/peakBytes')!.simpleValue).toBeGreaterThan(0);
  });
});

describe('a resumed run', () => {
  it('appends a second events file; together they hold each step once, as metrics.jsonl does', async () => {
    await prepareSharedData();
    const run = tempDir('tb-resume');
    // Stopped after step 6: its last checkpoint is of step 4, so steps 5-6 are logged twice unless trimmed.
    await train({ resolved: tinyConfig(run), log: silentLogger(), progress: false, stopAfterStep: 6 });
    const before = eventsOf(eventFiles(run)[0]!);
    expect(before.some((e) => e.step === 6)).toBe(true);
    // A kill while appending leaves a torn record at the end; the resume drops it.
    appendFileSync(eventFiles(run)[0]!, Buffer.from([9, 0, 0, 0, 0, 0, 0]));

    await train({ resolved: tinyConfig(run), log: silentLogger(), progress: false, resume: true });
    const files = eventFiles(run);
    expect(files).toHaveLength(2);
    const [first, second] = files.map(eventsOf);
    expect(Math.max(...first!.map((e) => e.step))).toBe(4);
    expect(second![0]!.fileVersion).toBe('brain.Event:2');
    expect(second!.some((e) => e.values.some((v) => v.tag === 'config'))).toBe(false);

    const merged = [...first!, ...second!];
    expect(scalarEvents(merged)).toEqual(expectedScalars(run));
    // Each tag's steps strictly increase across the files.
    const stepsByTag = new Map<string, number[]>();
    for (const e of merged) for (const v of e.values) stepsByTag.set(v.tag, [...(stepsByTag.get(v.tag) ?? []), e.step]);
    for (const [tag, steps] of stepsByTag) expect(steps.every((s, i) => i === 0 || s > steps[i - 1]!), `${tag}: ${steps.join(' ')}`).toBe(true);
    expect(stepsByTag.get('train/loss')).toEqual([2, 4, 6, 8]);
  }, 180_000);
});
