import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Small files in the official layouts, written the way the originals are. */

export interface Review {
  id: number;
  rating: number;
  text: string | Uint8Array;
}

/** aclImdb/{train,test}/{pos,neg}/<id>_<rating>.txt under `root`. */
export async function writeImdb(
  root: string,
  reviews: Record<'train' | 'test', Record<'pos' | 'neg', Review[]>>,
): Promise<void> {
  for (const split of ['train', 'test'] as const) {
    for (const cls of ['pos', 'neg'] as const) {
      const dir = join(root, 'aclImdb', split, cls);
      await mkdir(dir, { recursive: true });
      for (const r of reviews[split][cls]) await writeFile(join(dir, `${r.id}_${r.rating}.txt`), r.text);
    }
  }
  // Files the real archive holds beside the reviews, which the reader must leave alone.
  await mkdir(join(root, 'aclImdb', 'train', 'unsup'), { recursive: true });
  await writeFile(join(root, 'aclImdb', 'train', 'unsup', '0_0.txt'), 'unlabelled');
  await writeFile(join(root, 'aclImdb', 'train', 'urls_pos.txt'), 'http://www.imdb.com/title/tt0453418/usercomments\n');
}

/** A review of `n` bytes cycling through printable ASCII, starting at `seed`. */
export function reviewText(n: number, seed: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(32 + ((seed + i * 7) % 95));
  return s;
}

export interface AanRow {
  label: string;
  id1: string;
  id2: string;
  text1: string;
  text2: string;
}

export function aanLine(r: AanRow): string {
  return [r.label, r.id1, r.id2, r.text1, r.text2].join('\t');
}

/** tsv_data/new_aan_pairs.{train,eval,test}.tsv under `root`: no header, LF line ends. */
export async function writeAan(root: string, lines: Record<'train' | 'eval' | 'test', string[]>): Promise<void> {
  const dir = join(root, 'tsv_data');
  await mkdir(dir, { recursive: true });
  for (const [split, rows] of Object.entries(lines)) await writeFile(join(dir, `new_aan_pairs.${split}.tsv`), `${rows.join('\n')}\n`);
}

/** One CIFAR binary record: label byte, then the R, G and B planes (1024 bytes each). */
export function cifarRecord(label: number, pixel: (plane: number, i: number) => number): Uint8Array {
  const out = new Uint8Array(3073);
  out[0] = label;
  for (let c = 0; c < 3; c++) for (let i = 0; i < 1024; i++) out[1 + c * 1024 + i] = pixel(c, i) & 255;
  return out;
}

/** A record whose pixels depend on its number, so that records can be told apart. */
export function numberedRecord(n: number): Uint8Array {
  return cifarRecord(n % 10, (c, i) => (n * 31 + c * 101 + i * 13) % 256);
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** cifar-10-batches-bin/ under `root` with `perFile` numbered records in each training file. */
export async function writeCifar(root: string, perFile: number, testCount: number): Promise<void> {
  const dir = join(root, 'cifar-10-batches-bin');
  await mkdir(dir, { recursive: true });
  let n = 0;
  for (let f = 1; f <= 5; f++) {
    const records = Array.from({ length: perFile }, () => numberedRecord(n++));
    await writeFile(join(dir, `data_batch_${f}.bin`), concat(records));
  }
  const test = Array.from({ length: testCount }, (_, i) => numberedRecord(10_000 + i));
  await writeFile(join(dir, 'test_batch.bin'), concat(test));
  await writeFile(join(dir, 'batches.meta.txt'), 'airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n');
}
