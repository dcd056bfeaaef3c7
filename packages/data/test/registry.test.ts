import { describe, expect, it } from 'vitest';
import { getTask, isTaskName, taskNames, tasks } from '../src/tasks/registry.js';

describe('task registry', () => {
  it('finds tasks by name and lists the known ones when it cannot', () => {
    expect(taskNames).toEqual(expect.arrayContaining(['listops', 'text', 'retrieval', 'image']));
    expect(getTask('listops')).toBe(tasks.listops);
    expect(isTaskName('listops')).toBe(true);
    expect(isTaskName('toString')).toBe(false);
    expect(() => getTask('lisops')).toThrow(new Error(`unknown task "lisops"; known: ${taskNames.join(', ')}`));
  });

  it("gives ListOps LRA's settings", () => {
    const { name, title, seqLen, vocabSize, numClasses, pair, padId, splits, sourceFolders } = tasks.listops;
    expect({ name, title, seqLen, vocabSize, numClasses, pair, padId, splits, sourceFolders }).toEqual({
      name: 'listops',
      title: 'ListOps',
      seqLen: 2000,
      vocabSize: 17,
      numClasses: 10,
      pair: false,
      padId: 0,
      splits: ['train', 'val', 'test'],
      sourceFolders: ['listops-1000'],
    });
    expect(tasks.listops.generator).toBeDefined();
  });
});
