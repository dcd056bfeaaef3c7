// Each cell of the check runs in a process of its own: a wasm heap that ran out of memory is
// unusable for the rest of its process, and a cell that runs too long can be stopped cleanly.
import { type ChildProcess, spawn } from 'node:child_process';
import { LRA_BIN } from '../bench/isolated-cell.js';
import { type CheckCellRequest, type CheckCellResult, emptyCell } from './check-cell.js';

/** The last complete JSON row a cell printed (one when planned, one when done), or null. */
function lastRow(stdout: string): CheckCellResult | null {
  const lines = stdout.split('\n').filter((l) => l.trim().startsWith('{'));
  for (let i = lines.length - 1; i >= 0; i--) {
    try {
      return JSON.parse(lines[i]!) as CheckCellResult;
    } catch {
      // A line cut by the kill: the one before it is whole.
    }
  }
  return null;
}

export function cellArguments(req: CheckCellRequest): string[] {
  return [
    'check', '--cell', '--tasks', req.task, '--mixers', req.mixer, '--preset', req.preset, '--backend', req.backend,
    '--steps', String(req.steps), '--budget-s', String(req.budgetMs / 1000), '--json',
    ...(req.limitBytes === undefined ? [] : ['--memory-limit-mib', String(req.limitBytes / 2 ** 20)]),
    ...(req.recompute ? ['--recompute'] : []),
  ];
}

/** Cells running now: a check that is stopped stops them too (they would run on, unowned). */
const running = new Set<ChildProcess>();
let stopHandlers = false;

function stopChildrenOnExit(): void {
  if (stopHandlers) return;
  stopHandlers = true;
  const stop = (signal: NodeJS.Signals) => () => {
    for (const child of running) child.kill('SIGKILL');
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', stop('SIGINT'));
  process.once('SIGTERM', stop('SIGTERM'));
  process.once('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}

/** Runs one cell in a child `lra check --cell`; a child that dies or overruns `timeoutMs` gives a row saying so. */
export function runCellInChild(req: CheckCellRequest, timeoutMs: number, bin = LRA_BIN): Promise<CheckCellResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    stopChildrenOnExit();
    const child = spawn(process.execPath, [bin, ...cellArguments(req)], { env: { ...process.env, LRA_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      running.delete(child);
      const wall = (performance.now() - started) / 1000;
      if (timedOut) {
        const planned = lastRow(stdout);
        // The cell's last row arrived just before the kill: it finished.
        if (planned && planned.stepsRun > 0) return resolve({ ...planned, wallSeconds: wall });
        if (planned) {
          const reason = `${req.steps} steps did not finish within ${(timeoutMs / 1000).toFixed(0)} s: ms/step and ETA are the planner's probe (2 examples, scaled to the batch)`;
          return resolve({ ...planned, status: 'skipped', reason, wallSeconds: wall });
        }
        const reason = `planning did not finish within ${(timeoutMs / 1000).toFixed(0)} s (passes over 1 and 2 examples): the full run's ETA is beyond reach on this machine`;
        return resolve(emptyCell(req, 'skipped', reason, wall));
      }
      if (code !== 0) {
        const lines = stderr.trim().split('\n').filter((l) => l.trim() && !l.startsWith('{'));
        const last = lines[lines.length - 1]?.trim() ?? '';
        return resolve(emptyCell(req, 'failed', signal ? `killed by ${signal}${last ? ` (${last})` : ''}` : last || `exited with code ${code}`, wall));
      }
      const row = lastRow(stdout);
      resolve(row ?? emptyCell(req, 'failed', `printed no JSON: ${stdout.trim().slice(0, 200) || '(nothing)'}`, wall));
    });
  });
}
