// node packages/trainer/dist/gpu-pack/list-main.js ROOT LIST_FILE: writes the pack's paths, one a
// line, for `tar --no-recursion -T LIST_FILE`, and prints their count and size as one JSON line.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { packFiles } from './pack-files.js';

const [root, listFile] = process.argv.slice(2);
if (root === undefined || listFile === undefined) {
  process.stderr.write('usage: list-main.js ROOT LIST_FILE\n');
  process.exit(2);
}
const list = packFiles(resolve(root));
writeFileSync(listFile, `${list.files.join('\n')}\n`);
process.stdout.write(`${JSON.stringify({ files: list.files.length, bytes: list.bytes, dependencies: list.dependencies.map((d) => d.name) })}\n`);
