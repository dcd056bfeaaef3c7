import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { arrayTaskCompletions } from './job-completions.js';
import { slurmConf } from './slurm-conf.js';
import { locateSlurm, slurmPrograms } from './slurm-tools.js';

// The pieces of `make test-slurm` that need no Slurm, checked in `make test`.
const dir = () => mkdtempSync(join(tmpdir(), 'lra-slurm-helpers-'));

describe('the one-node Slurm cluster of make test-slurm', () => {
  it('finds every program or names the missing ones (the skip message names make slurm-deps)', () => {
    const bin = dir();
    for (const name of slurmPrograms.filter((p) => p !== 'slurmd')) {
      writeFileSync(join(bin, name), '#!/bin/sh\n');
      chmodSync(join(bin, name), 0o755);
    }
    expect(locateSlurm([bin])).toEqual({ missing: ['slurmd'] });
    writeFileSync(join(bin, 'slurmd'), '#!/bin/sh\n');
    expect(locateSlurm([bin])).toEqual({ missing: ['slurmd'] }); // not executable
    chmodSync(join(bin, 'slurmd'), 0o755);
    expect(locateSlurm([bin])).toEqual({ paths: Object.fromEntries(slurmPrograms.map((p) => [p, join(bin, p)])) });
  });

  it('writes a slurm.conf whose controller and node are this host, everything under the folder', () => {
    const conf = slurmConf({ dir: '/tmp/c', host: 'vm', cpus: 2, memoryMiB: 2048, controllerPort: 40001, nodePort: 40002 });
    const lines = conf.trim().split('\n');
    expect(lines).toContain('SlurmctldHost=vm(127.0.0.1)');
    expect(lines).toContain('NodeName=vm NodeAddr=127.0.0.1 CPUs=2 RealMemory=2048 State=UNKNOWN');
    expect(lines).toContain('PartitionName=debug Nodes=vm Default=YES MaxTime=INFINITE State=UP');
    expect(lines).toContain('JobCompType=jobcomp/filetxt');
    for (const line of lines.filter((l) => /(Location|Dir|File|Loc)=/.test(l))) expect(line).toMatch(/=\/tmp\/c\//);
    expect(new Set(lines.map((l) => l.split('=')[0])).size).toBe(lines.length);
  });

  it('reads each array task\'s completion from the jobcomp file', () => {
    const file = join(dir(), 'jobcomp.txt');
    writeFileSync(file, [
      'JobId=3 UserId=root(0) Name=lra-sweep JobState=COMPLETED Partition=debug ArrayJobId=2 ArrayTaskId=1 DerivedExitCode=0:0 ExitCode=0:0 ',
      'JobId=2 UserId=root(0) Name=lra-sweep JobState=FAILED Partition=debug ArrayJobId=2 ArrayTaskId=0 DerivedExitCode=0:0 ExitCode=1:0 ',
      'JobId=1 UserId=root(0) Name=other JobState=COMPLETED Partition=debug ArrayJobId= ArrayTaskId= ExitCode=0:0 ',
    ].join('\n'));
    const tasks = arrayTaskCompletions(file, 2);
    expect([...tasks.keys()].sort()).toEqual([0, 1]);
    expect(tasks.get(0)).toEqual({ arrayJobId: 2, arrayTaskId: 0, state: 'FAILED', exitCode: '1:0' });
    expect(tasks.get(1)).toMatchObject({ state: 'COMPLETED', exitCode: '0:0' });
    expect(arrayTaskCompletions(join(dir(), 'absent.txt'), 2).size).toBe(0);
  });
});
