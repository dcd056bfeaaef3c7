import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TarFormatError, readTar, type TarEntry } from '../../src/download/tar-reader.js';
import { tarBytes, type TarMember } from './support/tar-writer.js';

interface Read {
  entry: TarEntry;
  data: Buffer;
}

/** Feeds `bytes` to the reader in chunks of `chunk` bytes (to cross block boundaries). */
async function readAll(bytes: Buffer, chunk = 7919): Promise<Read[]> {
  async function* chunks(): AsyncGenerator<Buffer> {
    for (let at = 0; at < bytes.length; at += chunk) yield bytes.subarray(at, at + chunk);
  }
  const out: Read[] = [];
  await readTar(chunks(), async (entry, body) => {
    const parts: Buffer[] = [];
    for await (const part of body.chunks()) parts.push(part);
    out.push({ entry, data: Buffer.concat(parts) });
  });
  return out;
}

const longDir = `lra_release/${'deep/'.repeat(30)}`;
const members: TarMember[] = [
  { path: 'lra_release/', type: 'directory' },
  { path: 'lra_release/empty.txt', data: '' },
  { path: 'lra_release/block.bin', data: Buffer.alloc(512, 7) },
  { path: 'lra_release/odd.bin', data: Buffer.from(Array.from({ length: 1300 }, (_, i) => (i * 31) % 256)) },
  { path: `${longDir}gnu-long-name.txt`, data: 'gnu', longPath: 'gnu' },
  { path: `${longDir}pax-long-name.txt`, data: 'pax', longPath: 'pax' },
  { path: `${'p/'.repeat(60)}prefixed.txt`, data: 'prefix', longPath: 'ustar-prefix' },
  { path: 'lra_release/link', type: 'symlink', linkPath: '../outside' },
  { path: 'lra_release/hard', type: 'hardlink', linkPath: 'lra_release/odd.bin' },
];

describe('readTar', () => {
  it('reads ustar, GNU long names, pax paths and ustar prefixes, with exact bodies, across chunk boundaries', async () => {
    for (const chunk of [1, 511, 513, 1 << 16]) {
      const read = await readAll(tarBytes(members), chunk);
      expect(read.map((r) => r.entry.path)).toEqual(members.map((m) => m.path));
      expect(read.map((r) => r.entry.type)).toEqual(members.map((m) => m.type ?? 'file'));
      for (const [i, member] of members.entries()) {
        expect(read[i]?.data.equals(Buffer.from(member.data ?? ''))).toBe(true);
      }
      expect(read[7]?.entry.linkPath).toBe('../outside');
      expect(read[8]?.entry.linkPath).toBe('lra_release/odd.bin');
    }
  });

  it('skips the bodies a visitor does not read and stays in step', async () => {
    const names: string[] = [];
    async function* once(): AsyncGenerator<Buffer> {
      yield tarBytes(members);
    }
    const { entries } = await readTar(once(), async (entry) => {
      names.push(entry.path);
    });
    expect(entries).toBe(members.length);
    expect(names).toEqual(members.map((m) => m.path));
  });

  it('accepts a stream without the end-of-archive blocks', async () => {
    const read = await readAll(tarBytes(members.slice(0, 4), { endBlocks: false }));
    expect(read.map((r) => r.entry.path)).toEqual(members.slice(0, 4).map((m) => m.path));
  });

  it('rejects a corrupt header checksum with its offset', async () => {
    const bytes = tarBytes(members.slice(0, 3));
    bytes[512 + 10] = 'X'.charCodeAt(0); // the name of the second header
    await expect(readAll(bytes)).rejects.toThrow(/at byte 512: header checksum mismatch/);
  });

  it('rejects a stream cut inside a body, naming the member and the bytes it got', async () => {
    const bytes = tarBytes(members.slice(0, 4));
    const cut = bytes.subarray(0, 4 * 512 + 512 + 100); // up to the header of odd.bin, then 100 bytes of it
    const err = await readAll(cut).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TarFormatError);
    expect((err as Error).message).toMatch(/archive ends inside lra_release\/odd\.bin \(100 of 1300 bytes\)/);
  });

  it('rejects a stream cut inside a header', async () => {
    const bytes = tarBytes(members.slice(0, 2)).subarray(0, 512 + 200);
    await expect(readAll(bytes)).rejects.toThrow(/archive ends inside a header \(200 of 512 bytes\)/);
  });

  it('reads a GNU base-256 size field', async () => {
    const bytes = tarBytes([{ path: 'a.bin', data: Buffer.alloc(700, 1) }]);
    const field = Buffer.alloc(12);
    field[0] = 0x80;
    field.writeUInt32BE(700, 8);
    field.copy(bytes, 124);
    // Re-seal the header's checksum over the new field.
    bytes.write('        ', 148, 'ascii');
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += bytes[i] ?? 0;
    bytes.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
    const read = await readAll(bytes);
    expect(read[0]?.entry.size).toBe(700);
    expect(read[0]?.data.equals(Buffer.alloc(700, 1))).toBe(true);
  });
});

// GNU tar, an independent writer: its gnu and pax formats for paths over 100 bytes.
const hasTar = spawnSync('tar', ['--version']).status === 0;

describe.skipIf(!hasTar)('readTar on archives written by GNU tar', () => {
  let dir: string;
  const longPath = `${'long-folder-name/'.repeat(8)}file-with-a-long-name.txt`;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lra-tar-'));
    await mkdir(join(dir, 'src', longPath, '..'), { recursive: true });
    await writeFile(join(dir, 'src', longPath), 'long content\n');
    await writeFile(join(dir, 'src', 'short.txt'), Buffer.alloc(10_000, 3));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  for (const format of ['gnu', 'pax', 'ustar'] as const) {
    it(`reads --format=${format}`, async () => {
      const archive = join(dir, `${format}.tar`);
      const made = spawnSync('tar', [`--format=${format}`, '-cf', archive, '-C', join(dir, 'src'), 'short.txt', longPath]);
      expect(made.status, made.stderr.toString()).toBe(0);
      const read = await readAll(await readFile(archive));
      const files = read.filter((r) => r.entry.type === 'file');
      expect(files.map((r) => r.entry.path)).toEqual(['short.txt', longPath]);
      expect(files[0]?.data.equals(Buffer.alloc(10_000, 3))).toBe(true);
      expect(files[1]?.data.toString()).toBe('long content\n');
    });
  }
});
