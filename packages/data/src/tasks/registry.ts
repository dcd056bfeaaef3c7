import type { TaskSpec } from '../types.js';
import { listops } from './listops.js';
import { image } from './image.js';
import { pathfinder } from './pathfinder.js';
import { pathx } from './pathx.js';
import { retrieval } from './retrieval.js';
import { text } from './text.js';

/** Every task, built from imports: a task whose file is missing fails the type check. */
export const tasks = { listops, text, retrieval, image, pathfinder, pathx } satisfies Record<string, TaskSpec>;

export type TaskName = keyof typeof tasks;

export const taskNames = Object.keys(tasks) as TaskName[];

export function isTaskName(name: string): name is TaskName {
  return Object.hasOwn(tasks, name);
}

export function getTask(name: string): TaskSpec<TaskName> {
  if (!isTaskName(name)) throw new Error(`unknown task "${name}"; known: ${taskNames.join(', ')}`);
  return tasks[name];
}
