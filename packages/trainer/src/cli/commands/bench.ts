import { totalmem } from 'node:os';
import type { Argv } from 'yargs';
import { describeMachine, selectBackend } from '@lra/models';
import { type CellBudget, WASM_HEAP_LIMIT_BYTES } from '../../bench/cell-budget.js';
import { runIsolatedCell } from '../../bench/isolated-cell.js';
import { type BenchShape, type ModelBenchRow, benchModels } from '../../bench/model-bench.js';
import { PEER_MIXERS, PEER_PYTHON, type PeerRow, peerAvailability } from '../../bench/peer.js';
import { DEFAULT_PEER_LENGTHS, runPeerComparison } from '../../bench/peer-run.js';
import { benchSpectralOps } from '../../bench/spectral-ops.js';
import { compareSpectralOps, runTorchFft, spectralPeerMarkdown } from '../../bench/spectral-peer.js';
import { speedCellText, memoryCellText } from '../../bench/speed-markdown.js';
import { DEFAULT_TABLE_LENGTHS, DEFAULT_TABLE_MIXERS, runSpeedTable } from '../../bench/speed-run.js';
import type { SpeedTable } from '../../bench/speed-table.js';
import { medianOfRounds } from '../../bench/round-median.js';
import { scalingLines, threadScaling } from '../../bench/thread-scaling.js';
import { createLogger } from '../../util/logger.js';
import { DEFAULT_THREADS, threadCountsFlag } from '../threads.js';
import { backendChoices } from './train.js';

const list = (s: string) => s.split(',').map((x) => x.trim()).filter(Boolean);
const ints = (s: string) =>
  list(s).map((x) => {
    const n = Number(x);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--lengths: "${x}" is not a positive integer`);
    return n;
  });

/** --mixer-options: a JSON object. */
function parseMixerOptions(text: string): Record<string, unknown> {
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(`--mixer-options must be a JSON object, got ${text}`);
  return parsed as Record<string, unknown>;
}

const DEFAULT_LENGTHS = '1024,2048,4096';
/** Counts of the plain benchmark, and of the table and the peer (fewer: they measure many cells). */
// Several thread counts: a 2-thread process reaches its steady pace after 5-6 steps (the first
// ones grow the heap), so speed-ups are timed after 5 (docs/performance.md, "Warm-up").
const COUNTS = { plain: { warmup: 2, repeats: 5 }, table: { warmup: 1, repeats: 3 }, threads: { warmup: 5, repeats: 5 } };

/** The warm-up and timed runs a bench takes where the flags leave them out. */
export function benchCounts(mode: { many: boolean; severalThreads: boolean }, given: { warmup?: number | undefined; repeats?: number | undefined }): { warmup: number; repeats: number } {
  const defaults = mode.many ? COUNTS.table : mode.severalThreads ? COUNTS.threads : COUNTS.plain;
  return { warmup: given.warmup ?? defaults.warmup, repeats: given.repeats ?? defaults.repeats };
}

function rowLine(r: ModelBenchRow | PeerRow, side = ''): string {
  if (r.error !== undefined) return `${side}${r.mixer} @ ${r.length}: failed: ${r.error}`;
  if (r.skipped !== undefined) return `${side}${r.mixer} @ ${r.length}: skipped: ${r.skipped}`;
  return `${side}${r.mixer} @ ${r.length}: step ${r.stepMs.toFixed(1)} ms, forward ${r.forwardMs.toFixed(1)} ms`;
}

function printGrid(table: SpeedTable, title: string, text: (c: SpeedTable['cells'][number]) => string): void {
  process.stdout.write(`\n${title}\n`);
  const width = Math.max(...table.cells.map((c) => text(c).length), 8);
  process.stdout.write(`${'mixer'.padEnd(12)}${table.lengths.map((n) => String(n).padStart(width + 2)).join('')}\n`);
  for (const mixer of table.mixers) {
    const cells = table.lengths.map((n) => {
      const cell = table.cells.find((c) => c.mixer === mixer && c.length === n);
      return (cell ? text(cell) : '').padStart(width + 2);
    });
    process.stdout.write(`${mixer.padEnd(12)}${cells.join('')}\n`);
  }
}

export function benchCommand(y: Argv): Argv {
  return y.command(
    'bench',
    'time mixers (forward, train step, memory) or spectral ops at several lengths; --table: the LRA speed table; --peer: against PyTorch',
    (a) =>
      a
        .option('mixers', { type: 'string', describe: `comma-separated mixer names (model benchmark; --table default: ${DEFAULT_TABLE_MIXERS.join(',')})` })
        .option('ops', { type: 'string', describe: 'comma-separated spectral ops, e.g. rfft,irfft (op benchmark)' })
        .option('lengths', {
          type: 'string',
          describe: `default ${DEFAULT_LENGTHS}; --table: ${DEFAULT_TABLE_LENGTHS.join(',')}; --peer: ${DEFAULT_PEER_LENGTHS.join(',')}`,
        })
        .option('batch', { type: 'number', default: 8, describe: 'examples per timed forward pass and train step' })
        .option('rows', { type: 'number', default: 64, describe: 'rows of the [rows, N] op input' })
        .option('d-model', { type: 'number', default: 64, describe: 'model width of the benchmarked classifier' })
        .option('heads', { type: 'number', default: 4, describe: 'attention heads' })
        .option('layers', { type: 'number', default: 1, describe: 'encoder blocks' })
        .option('mlp-dim', { type: 'number', default: 128, describe: "width of each block's feed-forward" })
        .option('mixer-options', { type: 'string', describe: 'JSON options for every mixer benchmarked, e.g. \'{"implementation":"blocked"}\' (attention)' })
        .option('reversible', { type: 'boolean', default: false, describe: 'reversible blocks (classifier config reversible: true)' })
        .option('warmup', { type: 'number', describe: `untimed runs (default ${COUNTS.plain.warmup}; --table and --peer ${COUNTS.table.warmup}; --mixers with several --threads ${COUNTS.threads.warmup})` })
        .option('repeats', { type: 'number', describe: `timed runs, median reported (default ${COUNTS.plain.repeats}; --table and --peer ${COUNTS.table.repeats})` })
        .option('backend', { type: 'string', choices: backendChoices, default: 'auto', describe: 'tfjs backend; auto picks the best that loads' })
        .option('threads', {
          type: 'string',
          describe: `threads of the wasm backend (default: every core, ${DEFAULT_THREADS} here; at most 8); several, e.g. 1,2: every cell at each count in a process of its own, with the speed-ups`,
        })
        .option('rounds', {
          type: 'number', default: 1,
          describe: 'with several --threads: the counts of each cell in this many alternating rounds (1, 2, 1, 2, ...), each a process of its own, each count\'s figures the medians of its rounds (a load that drifts then weighs on every count alike)',
        })
        .option('json', { type: 'boolean', default: false, describe: 'print the results as JSON on stdout' })
        .option('isolate', { type: 'boolean', default: true, describe: 'run every (mixer, length) cell in a process of its own (--no-isolate: all in this one)' })
        .option('table', { type: 'boolean', default: false, describe: 'the LRA speed table: ratios to attention, LRA beside, files in --out' })
        .option('peer', { type: 'boolean', default: false, describe: `this project against the PyTorch peer (${PEER_MIXERS.join(', ')}), files in --out; with --ops: each op against torch.fft at the same threads` })
        .option('out', { type: 'string', default: 'runs/bench', describe: 'folder for the --table and --peer files' })
        .option('budget-ms', { type: 'number', default: 60_000, describe: 'skip cells whose train step is predicted above this (0: no limit; 60 s lets blocked attention run at 4K)' })
        .option('long-step-ms', { type: 'number', default: 4000, describe: '--table: cells predicted above this use 1 warm-up and --long-repeats' })
        .option('long-repeats', { type: 'number', default: 2, describe: '--table: timed runs of the cells over --long-step-ms' })
        .option('peer-threads', { type: 'number', describe: "torch.set_num_threads for the peer (default: the same count as ours, --threads)" })
        .option('python', { type: 'string', default: PEER_PYTHON, describe: 'the interpreter that runs the PyTorch peer' })
        .check((args) => {
          if (args.table && args.peer) throw new Error('give --table or --peer, not both');
          if (!args.table && !args.peer && !args.mixers && !args.ops) throw new Error('give --mixers a,b,..., --ops rfft,irfft, --table or --peer');
          for (const key of ['warmup', 'long-repeats'] as const) {
            const v = args[key];
            if (v !== undefined && !(Number.isInteger(v) && v >= 0)) throw new Error(`--${key} must be a whole number >= 0`);
          }
          if (args.repeats !== undefined && !(Number.isInteger(args.repeats) && args.repeats >= 1)) throw new Error('--repeats must be a whole number >= 1');
          if (args['long-repeats'] < 1) throw new Error('--long-repeats must be >= 1');
          if (!(Number.isInteger(args.rounds) && args.rounds >= 1)) throw new Error('--rounds must be a whole number >= 1');
          if (args.rounds > 1 && (args.ops || args.table || args.peer || !args.isolate)) throw new Error('--rounds goes with --mixers, a process per cell');
          if (threadCountsFlag(args.threads).length > 1) {
            // One wasm module per process, and its threads are fixed when it starts.
            if (!args.isolate) throw new Error('--threads with several counts needs a process per cell: drop --no-isolate');
            if (args.ops || args.table) throw new Error('--threads with several counts goes with --mixers or --peer');
          }
          return true;
        }),
    async (args) => {
      const log = createLogger();
      const many = args.table || args.peer;
      const threadCounts = threadCountsFlag(args.threads);
      const several = threadCounts.length > 1;
      const counts = benchCounts({ many: Boolean(many), severalThreads: several }, { warmup: args.warmup, repeats: args.repeats });
      const shape: BenchShape = {
        batch: args.batch,
        dModel: args['d-model'],
        heads: args.heads,
        layers: args.layers,
        mlpDim: args['mlp-dim'],
        ...(args.reversible ? { reversible: true } : {}),
        ...(args['mixer-options'] ? { mixerOptions: parseMixerOptions(args['mixer-options']) } : {}),
      };

      if (args.peer && !args.ops) {
        // Checked before anything loads: without torch there is nothing to compare against.
        const available = peerAvailability(args.python);
        if (!available.ok) {
          process.stdout.write(`lra bench --peer: skipped: ${available.reason}\n`);
          return;
        }
        if (args.reversible) throw new Error('--peer: the PyTorch peer has no reversible blocks');
        const mixers = args.mixers ? list(args.mixers) : [...PEER_MIXERS];
        const unknown = mixers.filter((m) => !(PEER_MIXERS as readonly string[]).includes(m));
        if (unknown.length > 0) throw new Error(`--peer: the PyTorch peer has no ${unknown.join(', ')}; it has ${PEER_MIXERS.join(', ')}`);
        // Isolated cells start their own backends, each with the threads of its pass.
        const backend = await selectBackend(args.backend as 'auto', {
          log: (msg, fields) => log.info(fields ?? {}, msg),
          threads: args.isolate ? 1 : threadCounts[0]!,
        });
        const result = await runPeerComparison({
          ...shape,
          mixers,
          lengths: args.lengths ? ints(args.lengths) : DEFAULT_PEER_LENGTHS,
          counts,
          budget: budgetFor(backend.name, args['budget-ms']),
          // PyTorch's memory is the machine's: keep a peer cell under half of it.
          peerBudget: { stepMs: args['budget-ms'], memoryBytes: totalmem() / 2 },
          backend: backend.name,
          machine: describeMachine(),
          torch: available.torch,
          ...(args['peer-threads'] !== undefined ? { threads: args['peer-threads'] } : {}),
          oursThreads: threadCounts,
          python: args.python,
          isolate: args.isolate,
          outDir: args.out,
          onRow: (side, r) => log.info(r, rowLine(r, side === 'ours' ? 'ours ' : 'pytorch ')),
        });
        if (args.json) process.stdout.write(`${JSON.stringify({ ...result.info, comparisons: result.comparisons }, null, 2)}\n`);
        else process.stdout.write(`${result.markdown}\nwrote ${result.files.join(', ')}\n`);
        return;
      }

      const cellCount = (args.mixers ? list(args.mixers).length : 0) * ints(args.lengths ?? DEFAULT_LENGTHS).length;
      // Cells in processes of their own start their own backends with the threads asked for; this
      // one only dispatches them and needs no pool of its own.
      const dispatchOnly = args.isolate && (args.table || (!args.ops && (several || cellCount > 1 || args.rounds > 1)));
      const backend = await selectBackend(args.backend as 'auto', {
        log: (msg, fields) => log.info(fields ?? {}, msg),
        threads: dispatchOnly ? 1 : threadCounts[0]!,
      });
      const machine = describeMachine();

      if (args.table) {
        const result = await runSpeedTable({
          ...shape,
          mixers: args.mixers ? list(args.mixers) : DEFAULT_TABLE_MIXERS,
          lengths: args.lengths ? ints(args.lengths) : DEFAULT_TABLE_LENGTHS,
          counts,
          longCounts: { warmup: Math.min(counts.warmup, 1), repeats: Math.min(counts.repeats, args['long-repeats']) },
          longStepMs: args['long-step-ms'],
          budget: budgetFor(backend.name, args['budget-ms']),
          backend: backend.name,
          machine,
          threads: threadCounts[0]!,
          isolate: args.isolate,
          outDir: args.out,
          onRow: (r) => log.info(r, rowLine(r)),
        });
        if (args.json) {
          process.stdout.write(`${JSON.stringify({ backend: backend.name, machine, results: result.rows, table: result.table }, null, 2)}\n`);
          return;
        }
        process.stdout.write(`backend ${backend.name}; batch ${args.batch}, d_model ${args['d-model']}, ${args.layers} layer(s); ${machine.cpu}\n`);
        printGrid(result.table, 'train-step speed relative to attention (step ms) [LRA published]', speedCellText);
        printGrid(result.table, 'peak memory relative to attention (peak MiB) [LRA published]', memoryCellText);
        process.stdout.write('\ngrowth of the step time with length (fitted exponent k; N log N gives ~1.1)\n');
        for (const g of result.table.growth) {
          if (!g.check) continue;
          const verdict = g.nLogNExpected ? (g.check.withinNLogN ? '  within N log N' : '  FASTER than N log N') : '';
          process.stdout.write(`${g.mixer.padEnd(12)} k = ${g.check.exponent.toFixed(2)} over ${g.check.minLength}-${g.check.maxLength} (N log N: ${g.check.nLogNExponent.toFixed(2)})${verdict}\n`);
        }
        process.stdout.write(`\nwrote ${result.files.join(', ')}\n`);
        return;
      }

      const lengths = ints(args.lengths ?? DEFAULT_LENGTHS);
      if (args.ops) {
        if (args.peer) {
          // Checked before timing anything: without torch there is nothing to compare against.
          const available = peerAvailability(args.python);
          if (!available.ok) {
            process.stdout.write(`lra bench --ops --peer: skipped: ${available.reason}\n`);
            return;
          }
        }
        const results = await benchSpectralOps({ ops: list(args.ops), lengths, rows: args.rows, repeats: counts.repeats, warmup: counts.warmup });
        if (args.peer) {
          const threads = args['peer-threads'] ?? backend.threads ?? 1;
          const torch = runTorchFft(args.python, { ops: list(args.ops), rows: args.rows, lengths, threads, repeats: counts.repeats, warmup: counts.warmup });
          const comparison = compareSpectralOps(results, torch.results);
          const markdown = spectralPeerMarkdown(comparison, { backend: backend.name, threads, torch: torch.torch, cpu: machine.cpu });
          if (args.json) process.stdout.write(`${JSON.stringify({ backend: backend.name, threads, machine, torch: torch.torch, results, pytorch: torch.results, comparison }, null, 2)}\n`);
          else process.stdout.write(markdown);
          return;
        }
        if (args.json) process.stdout.write(`${JSON.stringify({ backend: backend.name, threads: backend.threads, machine, results }, null, 2)}\n`);
        else {
          process.stdout.write(`backend ${backend.name}${threadsText(backend.threads)}; ${machine.cpu}\nop        rows      n   forward ms   fwd+bwd ms   ns per N log2 N\n`);
          for (const r of results)
            process.stdout.write(
              `${r.op.padEnd(8)} ${String(r.rows).padStart(5)} ${String(r.n).padStart(6)} ${r.forwardMs.toFixed(3).padStart(12)} ${r.forwardBackwardMs.toFixed(3).padStart(12)} ${(r.msPerNlogN * 1e6).toFixed(3).padStart(17)}\n`,
            );
        }
        return;
      }
      const onRow = (r: ModelBenchRow) => log.info(r, rowLine(r));
      const mixers = list(args.mixers!);
      let results: ModelBenchRow[];
      if (dispatchOnly) {
        results = [];
        // Thread counts innermost: the counts of one cell are measured back to back, under the same
        // load, in --rounds alternating rounds; each count's row holds its rounds' medians.
        for (const mixer of mixers) {
          for (const length of lengths) {
            const byCount = threadCounts.map(() => [] as ModelBenchRow[]);
            for (let round = 0; round < args.rounds; round++) {
              for (const [i, threads] of threadCounts.entries()) {
                const row = await runIsolatedCell({ ...shape, ...counts, mixer, length, backend: backend.name, threads });
                byCount[i]!.push(row);
                onRow(row);
              }
            }
            results.push(...byCount.map(medianOfRounds));
          }
        }
      } else {
        const ran = backend.threads !== undefined ? { threads: backend.threads, requestedThreads: threadCounts[0]! } : {};
        results = (await benchModels({ ...shape, ...counts, mixers, lengths, onRow })).map((r) => ({ ...r, ...ran }));
      }
      const scaling = several ? threadScaling(results, threadCounts) : [];
      if (args.json) {
        const threads = dispatchOnly ? threadCounts : backend.threads;
        process.stdout.write(`${JSON.stringify({ backend: backend.name, threads, machine, results, ...(several ? { scaling } : {}) }, null, 2)}\n`);
        return;
      }
      const threadsLine = dispatchOnly ? `, threads ${threadCounts.join(',')}` : threadsText(backend.threads);
      process.stdout.write(`backend ${backend.name}${threadsLine}; batch ${args.batch}, d_model ${args['d-model']}, ${args.layers} layer(s); ${machine.cpu}\n`);
      process.stdout.write('mixer            length threads     params   forward ms    step ms   peak MiB    RSS MiB   tokens/s\n');
      for (const r of results)
        process.stdout.write(
          `${r.mixer.padEnd(16)} ${String(r.length).padStart(6)} ${String(r.threads ?? '-').padStart(7)} ${String(r.params).padStart(10)} ${r.forwardMs.toFixed(1).padStart(12)} ${r.stepMs.toFixed(1).padStart(10)} ${(r.peakBytes / 2 ** 20).toFixed(1).padStart(10)} ${(r.rssPeakBytes / 2 ** 20).toFixed(1).padStart(10)} ${Math.round(r.tokensPerSec).toString().padStart(10)}${r.error ? `  (${r.error})` : ''}\n`,
        );
      if (several) process.stdout.write(`\nspeed-up over ${threadCounts[0]} thread(s), train step (medians of this run)\n${scalingLines(scaling).join('\n')}\n`);
    },
  );
}

/** ", 2 threads" where a backend computes on more than one. */
function threadsText(threads: number | undefined): string {
  return threads !== undefined && threads > 1 ? `, ${threads} threads` : '';
}

/** The step budget, and on wasm the heap's ceiling as the memory budget. */
function budgetFor(backend: string, stepMs: number): CellBudget {
  return { stepMs, ...(backend === 'wasm' ? { memoryBytes: WASM_HEAP_LIMIT_BYTES } : {}) };
}
