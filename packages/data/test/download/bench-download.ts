// Throughput of the download and extraction paths on this machine (not a test: run it by hand).
//   npx vite-node packages/data/test/download/bench-download.ts
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { downloadFile } from '../../src/download/download-file.js';
import { extractTarGz } from '../../src/download/extract-tar-gz.js';
import { TestServer, serveFile } from './support/http-server.js';
import { tarGzBytes, type TarMember } from './support/tar-writer.js';

const MiB = 1 << 20;
const dir = await mkdtemp(join(tmpdir(), 'lra-bench-download-'));
try {
  const payload = randomBytes(256 * MiB);
  const server = await TestServer.start();
  server.route('/big.bin', serveFile(payload));
  let t = performance.now();
  await downloadFile({ url: server.url('/big.bin'), dest: join(dir, 'big.bin'), sha256: createHash('sha256').update(payload).digest('hex') });
  let s = (performance.now() - t) / 1000;
  console.log(`download + sha256 + rename over 127.0.0.1: ${(payload.length / MiB).toFixed(0)} MiB in ${s.toFixed(2)} s = ${(payload.length / MiB / s).toFixed(0)} MiB/s`);
  await server.close();

  // Pathfinder-like: many small files.
  const files = 20_000;
  const members: TarMember[] = [];
  for (let i = 0; i < files; i++) members.push({ path: `lra_release/pathfinder32/curv_contour_length_14/imgs/${i % 200}/sample_${i}.png`, data: randomBytes(600) });
  members.push({ path: 'lra_release/pathfinder32/curv_baseline/imgs/0/sample_0.png', data: randomBytes(600) });
  const small = join(dir, 'small.tar.gz');
  await writeFile(small, tarGzBytes(members));
  t = performance.now();
  const r1 = await extractTarGz({ archive: small, destDir: join(dir, 'small'), members: ['**/pathfinder32/curv_contour_length_14/**'] });
  s = (performance.now() - t) / 1000;
  console.log(`extract ${r1.files} files of 600 bytes: ${s.toFixed(2)} s = ${(r1.files / s).toFixed(0)} files/s`);

  // One large text-like member (compressible), and the same archive with the member filtered out.
  const text = Buffer.from('( ( ( [MAX 4 ) 3 ) ] )\t4\n'.repeat((256 * MiB) / 24));
  const big = join(dir, 'big.tar.gz');
  await writeFile(big, tarGzBytes([{ path: 'lra_release/listops-1000/basic_train.tsv', data: text }]));
  t = performance.now();
  const r2 = await extractTarGz({ archive: big, destDir: join(dir, 'big'), members: ['**/listops-1000/*.tsv'] });
  s = (performance.now() - t) / 1000;
  console.log(`extract one ${(r2.bytes / MiB).toFixed(0)} MiB member: ${s.toFixed(2)} s = ${(r2.bytes / MiB / s).toFixed(0)} MiB/s (uncompressed)`);
  t = performance.now();
  await extractTarGz({ archive: big, destDir: join(dir, 'none'), members: ['nothing/*'] });
  s = (performance.now() - t) / 1000;
  console.log(`skip the same member (gunzip + tar parse only): ${s.toFixed(2)} s = ${(r2.bytes / MiB / s).toFixed(0)} MiB/s (uncompressed)`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
