import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, openSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, hostname, totalmem } from 'node:os';
import { join } from 'node:path';
import { clusterPaths, slurmConf } from './slurm-conf.js';
import type { SlurmProgram } from './slurm-tools.js';

/** A port nobody listens on now, so two clusters (or a system Slurm) on one machine do not collide. */
function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolvePort(address.port) : reject(new Error('no port'))));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, timeoutMs: number, ready: () => boolean, onTimeout: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`${what}: not ready after ${timeoutMs / 1000} s\n${onTimeout()}`);
    await sleep(250);
  }
}

export class LocalSlurmCluster {
  private readonly daemons: ChildProcess[] = [];
  /** Environment for the client commands: they find the cluster by SLURM_CONF. */
  readonly env: NodeJS.ProcessEnv;
  readonly paths: ReturnType<typeof clusterPaths>;

  private constructor(
    readonly dir: string,
    private readonly programs: Record<SlurmProgram, string>,
  ) {
    this.paths = clusterPaths(dir);
    this.env = { ...process.env, SLURM_CONF: this.paths.conf };
  }

  /**
   * munged, slurmctld and slurmd in the foreground (so their pids are theirs to stop), all state
   * under `dir`; resolves once sinfo shows the node idle.
   */
  static async start(dir: string, programs: Record<SlurmProgram, string>): Promise<LocalSlurmCluster> {
    const cluster = new LocalSlurmCluster(dir, programs);
    try {
      await cluster.boot();
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    return cluster;
  }

  private async boot(): Promise<void> {
    const p = this.paths;
    for (const d of [p.stateSave, p.spool, p.logs]) mkdirSync(d, { recursive: true });
    mkdirSync(join(this.dir, 'munge'), { recursive: true, mode: 0o700 });
    writeFileSync(p.mungeKey, randomBytes(1024), { mode: 0o600 });
    const host = hostname().split('.')[0]!;
    // A node that claims more than it has is drained at registration: stay within this machine.
    const cpus = Math.min(2, availableParallelism());
    const memoryMiB = Math.min(2048, Math.floor(totalmem() / 2 ** 20) - 256);
    writeFileSync(p.conf, slurmConf({ dir: this.dir, host, cpus, memoryMiB, controllerPort: await freePort(), nodePort: await freePort() }));

    // --force: munged wants its socket's folder open to every user; this one is private (it holds
    // the key too), which is enough here, where only root talks to the cluster.
    this.daemon('munged', ['--foreground', '--force', `--key-file=${p.mungeKey}`, `--socket=${p.mungeSocket}`,
      `--pid-file=${join(this.dir, 'munge', 'munged.pid')}`, `--seed-file=${join(this.dir, 'munge', 'seed')}`, `--log-file=${join(p.logs, 'munged.log')}`]);
    await waitFor('munged', 10_000, () => spawnSync('test', ['-S', p.mungeSocket]).status === 0, () => this.logTail('munged.out'));
    this.daemon('slurmctld', ['-D', '-i', '-f', p.conf]);
    this.daemon('slurmd', ['-D', '-f', p.conf]);
    await waitFor('the node', 60_000, () => this.nodeState() === 'idle', () => `sinfo: ${this.nodeState()}\n${this.logTail('slurmctld.out')}\n${this.logTail('slurmd.out')}`);
  }

  private daemon(name: SlurmProgram, args: string[]): void {
    const out = openSync(join(this.paths.logs, `${name}.out`), 'a');
    const child = spawn(this.programs[name], args, { stdio: ['ignore', out, out], env: this.env });
    child.on('error', () => undefined);
    this.daemons.push(child);
  }

  private logTail(file: string): string {
    const tail = spawnSync('tail', ['-n', '20', join(this.paths.logs, file)], { encoding: 'utf8' });
    return `${file}:\n${tail.stdout}`;
  }

  /** The node's state as sinfo prints it (idle, mix, alloc, down*, ...), or what went wrong. */
  nodeState(): string {
    const r = this.run('sinfo', ['-h', '-o', '%T']);
    return r.status === 0 ? r.stdout.trim() : `sinfo failed: ${r.stderr.trim()}`;
  }

  run(program: SlurmProgram, args: string[], cwd?: string): { status: number | null; stdout: string; stderr: string } {
    const r = spawnSync(this.programs[program], args, { encoding: 'utf8', env: this.env, ...(cwd !== undefined ? { cwd } : {}) });
    return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? (r.error?.message ?? '') };
  }

  /**
   * Cancels what is still queued or running (a job's steps outlive slurmd, so a failed test
   * would leave its training processes behind), then stops the daemons this cluster started,
   * newest first, waiting for each to exit.
   */
  async stop(): Promise<void> {
    if (this.daemons.length > 0 && this.run('scancel', ['--user=root']).status === 0) {
      const queueEmpty = () => { const q = this.run('squeue', ['-h']); return q.status !== 0 || q.stdout.trim() === ''; };
      await waitFor('cancelled jobs', 30_000, queueEmpty, () => this.run('squeue', []).stdout).catch(() => undefined);
    }
    for (const child of this.daemons.reverse()) {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) continue;
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    this.daemons.length = 0;
  }
}

export { sleep, waitFor };
