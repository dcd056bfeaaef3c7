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

/**
 * yargs' argument errors in one line: `Invalid values: Argument: preset, Given: "tin", Choices:
 * "lra", ...` becomes `--preset: got "tin"; choose one of "lra", ...`.
 */
export function usageMessage(msg: string): string {
  const oneLine = msg.replace(/\s*\n\s*/g, ' ').trim();
  const choice = /^Invalid values: Argument: ([\w-]+), Given: (.+), Choices: (.+)$/.exec(oneLine);
  if (choice) return `--${choice[1]}: got ${choice[2]}; choose one of ${choice[3]}`;
  return oneLine;
}

/** Where the options of the command that failed are listed. */
export function helpHint(argv: readonly string[]): string {
  const command = argv.find((a) => !a.startsWith('-'));
  return command && /^[a-z]+$/.test(command) ? `(lra ${command} --help lists its options)` : '(lra --help lists the commands)';
}
