import { existsSync, readFileSync } from 'node:fs';

/** One line of jobcomp/filetxt: a finished job or array task. */
export interface JobCompletion {
  arrayJobId: number | null;
  arrayTaskId: number | null;
  state: string;
  exitCode: string;
}

function field(line: string, name: string): string | null {
  const match = new RegExp(`(?:^| )${name}=(\\S*)`).exec(line);
  return match ? match[1]! : null;
}

function numberOrNull(text: string | null): number | null {
  return text === null || text === '' ? null : Number(text);
}

/** The completion records of one array job, by task index. */
export function arrayTaskCompletions(file: string, arrayJobId: number): Map<number, JobCompletion> {
  const byTask = new Map<number, JobCompletion>();
  if (!existsSync(file)) return byTask;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const record: JobCompletion = {
      arrayJobId: numberOrNull(field(line, 'ArrayJobId')),
      arrayTaskId: numberOrNull(field(line, 'ArrayTaskId')),
      state: field(line, 'JobState') ?? '',
      exitCode: field(line, 'ExitCode') ?? '',
    };
    if (record.arrayJobId === arrayJobId && record.arrayTaskId !== null) byTask.set(record.arrayTaskId, record);
  }
  return byTask;
}
