/**
 * Turns any failure into one line on stderr and a non-zero exit code. Errors the project raises
 * on purpose (bad config, bad data, divergence) carry their own precise message; anything else
 * also gets its stack when LRA_DEBUG is set.
 */
export function reportFatal(err: unknown): never {
  const e = err instanceof Error ? err : new Error(String(err));
  process.stderr.write(`lra: error: ${e.message}\n`);
  if (process.env.LRA_DEBUG && e.stack) process.stderr.write(`${e.stack}\n`);
  process.exit(1);
}
