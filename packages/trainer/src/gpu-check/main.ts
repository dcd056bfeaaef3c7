// node packages/trainer/dist/gpu-check/main.js COMMAND ...: the parts of scripts/gpu-check.sh
// that are the project's code rather than shell.
//   adapter [--backend webgpu]   the adapter report (adapter-report.ts), JSON on stdout; exit 1 if not ok
//   numeric [--backend webgpu]   the numeric checks (numeric-checks.ts), JSON on stdout; exit 1 if not ok
//   record --name N --command C --limit-s S --wall-s S --exit-code E --output FILE [--result FILE]
//          [--run DIR]... [--skipped WHY] --to FILE       one step's JSON (step-record.ts)
//   summary --to FILE [--info JSON] STEP_JSON...          the summary of the steps' JSON files
//   group --name N --to FILE STEP_JSON...                 several steps' JSON as one file
//   until-step --step N --run DIR -- COMMAND...           runs COMMAND until DIR's metrics reach step N
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { BACKEND_REQUESTS, type BackendRequest } from '@lra/models';
import { adapterReport } from './adapter-report.js';
import { runNumericChecks } from './numeric-checks.js';
import { runUntilStep } from './stop-after-step.js';
import { buildStepRecord, type StepRecord, type StepRecordInput } from './step-record.js';
import { summarizeSteps } from './summary.js';

function backendOf(value: string | undefined): BackendRequest {
  const name = value ?? 'webgpu';
  if (!(BACKEND_REQUESTS as readonly string[]).includes(name)) throw new Error(`--backend: unknown backend ${name}; expected one of ${BACKEND_REQUESTS.join(', ')}`);
  return name as BackendRequest;
}

function numberOf(flag: string, value: string | undefined): number {
  const n = Number(value);
  if (value === undefined || !Number.isFinite(n)) throw new Error(`--${flag}: expected a number, got ${String(value)}`);
  return n;
}

const writeJson = (path: string, value: unknown) => writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'adapter' || command === 'numeric') {
    const { values } = parseArgs({ args: rest, options: { backend: { type: 'string' } } });
    const backend = backendOf(values.backend);
    const report = command === 'adapter' ? await adapterReport(backend) : await runNumericChecks(backend);
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return report.ok ? 0 : 1;
  }
  if (command === 'record') {
    const { values } = parseArgs({
      args: rest,
      options: {
        name: { type: 'string' }, command: { type: 'string' }, 'limit-s': { type: 'string' }, 'wall-s': { type: 'string' },
        'exit-code': { type: 'string' }, output: { type: 'string' }, result: { type: 'string' }, run: { type: 'string', multiple: true },
        skipped: { type: 'string' }, to: { type: 'string' },
      },
    });
    if (values.name === undefined || values.to === undefined || values.output === undefined) throw new Error('record: --name, --output and --to are required');
    const input: StepRecordInput = {
      name: values.name,
      command: values.command ?? '',
      limitS: numberOf('limit-s', values['limit-s']),
      wallS: numberOf('wall-s', values['wall-s']),
      exitCode: numberOf('exit-code', values['exit-code']),
      output: readFileSync(values.output, 'utf8'),
    };
    if (values.result !== undefined) input.result = readFileSync(values.result, 'utf8');
    if (values.run !== undefined) input.runDirs = values.run;
    if (values.skipped !== undefined) input.skipped = values.skipped;
    writeJson(values.to, buildStepRecord(input));
    return 0;
  }
  if (command === 'summary') {
    const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { to: { type: 'string' }, info: { type: 'string' } } });
    if (values.to === undefined) throw new Error('summary: --to is required');
    const steps = positionals.map((path) => JSON.parse(readFileSync(path, 'utf8')) as StepRecord);
    const info = values.info === undefined ? {} : (JSON.parse(values.info) as Record<string, unknown>);
    writeJson(values.to, summarizeSteps(steps, info));
    return 0;
  }
  if (command === 'group') {
    const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { to: { type: 'string' }, name: { type: 'string' } } });
    if (values.to === undefined || values.name === undefined) throw new Error('group: --name and --to are required');
    const steps = positionals.map((path) => JSON.parse(readFileSync(path, 'utf8')) as StepRecord);
    writeJson(values.to, { step: values.name, ok: steps.length > 0 && steps.every((s) => s.ok), steps });
    return 0;
  }
  if (command === 'until-step') {
    const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { step: { type: 'string' }, run: { type: 'string' } } });
    if (values.run === undefined) throw new Error('until-step: --run is required');
    const result = await runUntilStep(positionals, values.run, numberOf('step', values.step));
    process.stderr.write(`gpu-check: ${result.stoppedAt === null ? `the command ended by itself (exit ${result.exitCode})` : `stopped at step ${result.stoppedAt}`}\n`);
    return result.exitCode;
  }
  process.stderr.write('usage: main.js adapter|numeric [--backend B] | record ... | summary ... (see the header of gpu-check/main.ts)\n');
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (error: unknown) => {
    process.stderr.write(`gpu-check: ${(error as Error).message}\n`);
    process.exitCode = 1;
  },
);
