import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

/**
 * Logs go to stderr so that `--json` output on stdout stays machine-readable: JSON lines when
 * stderr is a file or a pipe, pretty when a person is watching. LRA_LOG_LEVEL sets the level.
 */
export function createLogger(opts: { level?: string; pretty?: boolean } = {}): Logger {
  const level = opts.level ?? process.env.LRA_LOG_LEVEL ?? 'info';
  const wantPretty = opts.pretty ?? Boolean(process.stderr.isTTY);
  if (wantPretty) {
    return pino({ level }, pretty({ destination: 2, sync: true, colorize: true, ignore: 'pid,hostname', translateTime: 'HH:MM:ss' }));
  }
  return pino({ level, base: null }, pino.destination({ fd: 2, sync: true }));
}

/** A logger that drops everything: for library calls and tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
