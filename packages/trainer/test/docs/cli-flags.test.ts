// docs/design.md's table of `lra` commands is a contract (extend, never rename): every command and
// flag it lists must be one the program accepts, as its --help prints them.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import yargs from 'yargs';
import { analyzeCommand } from '../../src/cli/commands/analyze.js';
import { benchCommand } from '../../src/cli/commands/bench.js';
import { checkCommand } from '../../src/cli/commands/check.js';
import { dashboardCommand } from '../../src/cli/commands/dashboard.js';
import { dataCommand } from '../../src/cli/commands/data.js';
import { evalCommand } from '../../src/cli/commands/eval.js';
import { exportCommand } from '../../src/cli/commands/export.js';
import { mixersCommand } from '../../src/cli/commands/mixers.js';
import { reportCommand } from '../../src/cli/commands/report.js';
import { sweepCommand } from '../../src/cli/commands/sweep.js';
import { trainCommand } from '../../src/cli/commands/train.js';

const root = resolve(__dirname, '../../../..');
const bin = join(root, 'packages/trainer/bin/lra.js');
const page = readFileSync(join(root, 'docs/design.md'), 'utf8');

/** The rows of the command table: `lra <command>` and the flags its row names. */
function documentedCommands(): { command: string[]; flags: string[] }[] {
  return page
    .split('\n')
    .filter((line) => /^\| `lra [a-z ]+` \|/.test(line))
    .map((line) => {
      const cells = line.split(/(?<!\\)\|/).map((c) => c.trim());
      const command = /^`lra ([a-z ]+)`$/.exec(cells[1]!)![1]!.split(' ');
      const flags = [...new Set([...cells[3]!.matchAll(/--[a-z][a-z-]*/g)].map((m) => m[0]))];
      return { command, flags };
    });
}

const builders = [trainCommand, evalCommand, dataCommand, mixersCommand, benchCommand, reportCommand, sweepCommand, analyzeCommand, checkCommand, exportCommand, dashboardCommand];

/** What `lra ARGS --help` prints, from the command definitions in this process (no handler runs). */
function helpOf(args: string[]): Promise<string> {
  let cli = yargs().scriptName('lra').exitProcess(false).help().wrap(null);
  for (const add of builders) cli = add(cli);
  return new Promise((done) => {
    void cli.parse([...args, '--help'], {}, (_error: unknown, _argv: unknown, output: string) => done(output));
  });
}

describe('the lra commands docs/design.md lists', () => {
  beforeAll(() => {
    // `make test` builds first; a bare `vitest run` on a fresh clone builds here.
    if (!existsSync(join(root, 'packages/trainer/dist/cli/main.js'))) spawnSync('npx', ['tsc', '-b'], { cwd: root, stdio: 'inherit' });
  }, 180_000);

  const rows = documentedCommands();

  // The program's own --help, so a command added to it without a row here is noticed.
  it('cover every command of the program', () => {
    const help = spawnSync(process.execPath, [bin, '--help'], { cwd: root, encoding: 'utf8' }).stdout;
    const commands = [...help.matchAll(/^ {2}lra ([a-z]+)/gm)].map((m) => m[1]!);
    expect(commands.length).toBeGreaterThan(5);
    expect(commands.filter((c) => !rows.some((r) => r.command[0] === c))).toEqual([]);
  });

  it.each(rows.map((r) => [r.command.join(' '), r.flags] as const))('lra %s accepts every flag its row names', async (command, flags) => {
    const help = await helpOf(command.split(' '));
    expect(help).toMatch(new RegExp(`^lra ${command}\\b`));
    expect(flags.length).toBeGreaterThan(0);
    expect(flags.filter((flag) => !new RegExp(`${flag}(?![a-z-])`).test(help))).toEqual([]);
  });
});
