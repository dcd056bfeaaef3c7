// Ctrl-C (SIGINT) or a scheduler's SIGTERM asks a run to stop: the step under way finishes, the
// run saves checkpoints/last.ckpt and says how to resume. A second signal quits at once (the
// last checkpoint on disk is still whole: checkpoints are written to a temporary name, then renamed).

export const SIGNAL_EXIT_CODES: Readonly<Record<'SIGINT' | 'SIGTERM', number>> = { SIGINT: 130, SIGTERM: 143 };

/** The run stopped on a signal after saving; the CLI exits with the signal's conventional code. */
export class RunInterrupted extends Error {
  override readonly name = 'RunInterrupted';
  constructor(
    readonly signal: 'SIGINT' | 'SIGTERM',
    readonly step: number,
    readonly checkpoint: string,
    readonly resumeCommand: string,
  ) {
    super(`${signal}: stopped after step ${step}; saved ${checkpoint}; resume with: ${resumeCommand}`);
  }
  get exitCode(): number {
    return SIGNAL_EXIT_CODES[this.signal];
  }
}

export class StopRequest {
  signal: 'SIGINT' | 'SIGTERM' | null = null;
  private readonly handlers = new Map<'SIGINT' | 'SIGTERM', () => void>();

  /** `onFirst` says what will happen (the step finishes, then a save). */
  constructor(onFirst: (signal: 'SIGINT' | 'SIGTERM') => void) {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      const handler = () => {
        if (this.signal !== null) process.exit(SIGNAL_EXIT_CODES[signal]);
        this.signal = signal;
        onFirst(signal);
      };
      this.handlers.set(signal, handler);
      process.on(signal, handler);
    }
  }

  dispose(): void {
    for (const [signal, handler] of this.handlers) process.removeListener(signal, handler);
    this.handlers.clear();
  }
}

/** The command that continues this run: the one that started it, with --resume and without --overwrite. */
export function resumeCommandOf(argv: readonly string[]): string {
  const args = argv.filter((a) => a !== '--overwrite' && a !== '--resume');
  const quoted = args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`));
  return ['lra', ...quoted, '--resume'].join(' ');
}
