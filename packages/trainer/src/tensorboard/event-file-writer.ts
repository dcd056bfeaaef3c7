import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileVersionEvent } from './event.js';
import { tfRecord } from './tfrecord.js';

/**
 * One events file, `events.out.tfevents.<seconds>.<hostname>`, the name TensorBoard looks for.
 * Every write appends whole records with one system call: once it returns, what was logged is the
 * operating system's, and a run killed afterwards keeps it. A killed write leaves at most one torn
 * record at the end, which readers stop at (its checksum does not match).
 */
export class EventFileWriter {
  private constructor(readonly path: string) {}

  /**
   * Creates the file with its file_version event. A second file in the same second (a quick
   * resume) gets a numeric suffix, never the first one's name: TensorBoard reads the files of a
   * folder in name order, and "<name>" sorts before "<name>.1".
   */
  static async create(dir: string, now: Date = new Date()): Promise<EventFileWriter> {
    await mkdir(dir, { recursive: true });
    const base = `events.out.tfevents.${Math.floor(now.getTime() / 1000)}.${hostname()}`;
    for (let n = 0; ; n++) {
      const path = join(dir, n === 0 ? base : `${base}.${n}`);
      try {
        await writeFile(path, tfRecord(fileVersionEvent(now.getTime() / 1000)), { flag: 'wx' });
        return new EventFileWriter(path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
  }

  async write(events: readonly Uint8Array[]): Promise<void> {
    await appendFile(this.path, Buffer.concat(events.map(tfRecord)));
  }
}
