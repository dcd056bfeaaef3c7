import { gzipSync } from 'node:zlib';

/** One member of a test archive. */
export interface TarMember {
  path: string;
  /** File content; absent for directories and links. */
  data?: string | Uint8Array;
  type?: 'file' | 'directory' | 'symlink' | 'hardlink';
  linkPath?: string;
  /** How a path longer than the 100-byte name field is stored (default 'gnu'). */
  longPath?: 'gnu' | 'pax' | 'ustar-prefix';
}

const BLOCK = 512;

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

function header(name: string, size: number, typeFlag: string, opts: { linkPath?: string; prefix?: string; gnuMagic?: boolean } = {}): Buffer {
  const block = Buffer.alloc(BLOCK);
  block.write(name, 0, 100, 'utf8');
  block.write(octal(0o644, 8), 100, 'ascii');
  block.write(octal(0, 8), 108, 'ascii');
  block.write(octal(0, 8), 116, 'ascii');
  block.write(octal(size, 12), 124, 'ascii');
  block.write(octal(1_700_000_000, 12), 136, 'ascii');
  block.write('        ', 148, 'ascii');
  block.write(typeFlag, 156, 'ascii');
  if (opts.linkPath !== undefined) block.write(opts.linkPath, 157, 100, 'utf8');
  if (opts.gnuMagic === true) block.write('ustar  \0', 257, 'ascii');
  else block.write('ustar\u000000', 257, 'ascii');
  if (opts.prefix !== undefined) block.write(opts.prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return block;
}

function padded(data: Buffer): Buffer[] {
  const rest = (BLOCK - (data.length % BLOCK)) % BLOCK;
  return rest === 0 ? [data] : [data, Buffer.alloc(rest)];
}

function paxRecord(key: string, value: string): string {
  // The length prefix counts itself, so find the fixed point.
  const body = ` ${key}=${value}\n`;
  let length = Buffer.byteLength(body) + 1;
  while (String(length).length + Buffer.byteLength(body) !== length) length = String(length).length + Buffer.byteLength(body);
  return `${length}${body}`;
}

/**
 * A tar archive written from the POSIX/GNU format descriptions, independently of the reader
 * under test: ustar headers, GNU `L` long names, pax `x` path records, ustar name prefixes.
 */
export function tarBytes(members: readonly TarMember[], opts: { endBlocks?: boolean } = {}): Buffer {
  const parts: Buffer[] = [];
  for (const member of members) {
    const type = member.type ?? 'file';
    const data = member.data === undefined ? Buffer.alloc(0) : Buffer.from(member.data);
    const flag = { file: '0', directory: '5', symlink: '2', hardlink: '1' }[type];
    let name = member.path;
    let prefix: string | undefined;
    if (Buffer.byteLength(name) > 100) {
      const how = member.longPath ?? 'gnu';
      if (how === 'gnu') {
        const longName = Buffer.from(`${name}\0`);
        parts.push(header('././@LongLink', longName.length, 'L', { gnuMagic: true }), ...padded(longName));
        name = name.slice(0, 100);
      } else if (how === 'pax') {
        const records = Buffer.from(paxRecord('path', name));
        parts.push(header('PaxHeaders/x', records.length, 'x'), ...padded(records));
        name = name.slice(0, 100);
      } else {
        const cut = name.lastIndexOf('/', 155);
        prefix = name.slice(0, cut);
        name = name.slice(cut + 1);
      }
    }
    const linkPath = member.linkPath;
    parts.push(header(name, data.length, flag, { ...(linkPath !== undefined ? { linkPath } : {}), ...(prefix !== undefined ? { prefix } : {}) }));
    if (data.length > 0) parts.push(...padded(data));
  }
  if (opts.endBlocks !== false) parts.push(Buffer.alloc(2 * BLOCK));
  return Buffer.concat(parts);
}

export function tarGzBytes(members: readonly TarMember[]): Buffer {
  return gzipSync(tarBytes(members));
}
