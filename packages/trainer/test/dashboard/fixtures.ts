// A runs folder as the training loop leaves it: two finished runs, one training now (its
// run.lock held by this test process) and one that stopped without a report; and, beside the
// folder, a file no request may reach.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { config, METRICS_LINES, report, writeRun, writeUnfinishedRun } from '../report/fixtures.js';

export interface RunsFixture {
  /** The runs folder. */
  root: string;
  /** A file beside it, outside: what path traversal would try to read. */
  secret: string;
}

/** FFTNet's curve: the same steps as METRICS_LINES, learning faster. */
const FFTNET_LINES = METRICS_LINES.map((m) => (m.type === 'train' ? { ...m, loss: m.loss - 0.3, accuracy: m.accuracy + 0.1 } : { ...m, accuracy: m.accuracy + 0.15 }));

export function writeRunsFixture(): RunsFixture {
  const base = mkdtempSync(join(tmpdir(), 'lra-dashboard-'));
  const root = join(base, 'runs');
  writeRun(join(root, 'listops-attention-tiny-s1'), report(config({ mixer: 'attention', seed: 1 }), { testAccuracy: 0.288, majorityRate: 0.15 }));
  const fftnet = writeRun(join(root, 'listops-fftnet-tiny-s1'), report(config({ mixer: 'fftnet', seed: 1 }), { testAccuracy: 0.41, valAccuracy: 0.471 }), FFTNET_LINES);
  mkdirSync(join(fftnet, 'plots'));
  writeFileSync(join(fftnet, 'plots', 'loss.svg'), '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>\n');
  writeFileSync(join(fftnet, 'report.md'), '# listops / fftnet\n');
  mkdirSync(join(fftnet, 'checkpoints'));
  writeFileSync(join(fftnet, 'checkpoints', 'last.ckpt'), 'weights');
  const running = writeUnfinishedRun(join(root, 'sweep', 'listops-fnet-tiny-s2'), config({ mixer: 'fnet', seed: 2 }), 50);
  writeFileSync(join(running, 'run.lock'), `${JSON.stringify({ pid: process.pid, host: hostname(), startedAt: new Date().toISOString(), purpose: 'lra train' })}\n`);
  writeUnfinishedRun(join(root, 'listops-performer-tiny-s1'), config({ mixer: 'performer', seed: 1 }), 25);
  const secret = join(base, 'secret.json');
  writeFileSync(secret, '{"secret": true}\n');
  return { root, secret };
}
