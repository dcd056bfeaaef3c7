import { join } from 'node:path';

/** Where a one-node cluster keeps everything: one temporary folder, nothing under /etc or /var. */
export interface ClusterLayout {
  dir: string;
  /** The machine's short host name: slurmctld refuses to start unless SlurmctldHost names it. */
  host: string;
  cpus: number;
  memoryMiB: number;
  controllerPort: number;
  nodePort: number;
}

export const clusterPaths = (dir: string) => ({
  conf: join(dir, 'slurm.conf'),
  mungeKey: join(dir, 'munge', 'munge.key'),
  mungeSocket: join(dir, 'munge', 'munge.socket'),
  stateSave: join(dir, 'state'),
  spool: join(dir, 'spool'),
  logs: join(dir, 'log'),
  jobCompletions: join(dir, 'log', 'jobcomp.txt'),
});

/**
 * A slurm.conf for one controller and one node on this machine, run as root. Process tracking
 * by /proc and no task plugin, so no cgroup set-up is needed; no accounting database, but
 * jobcomp/filetxt writes one line per finished job (array tasks included) to read back.
 */
export function slurmConf(c: ClusterLayout): string {
  const p = clusterPaths(c.dir);
  return [
    'ClusterName=lra-test',
    `SlurmctldHost=${c.host}(127.0.0.1)`,
    `SlurmctldPort=${c.controllerPort}`,
    `SlurmdPort=${c.nodePort}`,
    'AuthType=auth/munge',
    `AuthInfo=socket=${p.mungeSocket}`,
    'CredType=cred/munge',
    'SlurmUser=root',
    'SlurmdUser=root',
    `StateSaveLocation=${p.stateSave}`,
    `SlurmdSpoolDir=${p.spool}`,
    `SlurmctldPidFile=${join(c.dir, 'slurmctld.pid')}`,
    `SlurmdPidFile=${join(c.dir, 'slurmd.pid')}`,
    `SlurmctldLogFile=${join(p.logs, 'slurmctld.log')}`,
    `SlurmdLogFile=${join(p.logs, 'slurmd.log')}`,
    'ProctrackType=proctrack/linuxproc',
    'TaskPlugin=task/none',
    'JobAcctGatherType=jobacct_gather/none',
    'AccountingStorageType=accounting_storage/none',
    'JobCompType=jobcomp/filetxt',
    `JobCompLoc=${p.jobCompletions}`,
    'SelectType=select/cons_tres',
    'SelectTypeParameters=CR_Core',
    'MpiDefault=none',
    // A node that registers after a restart of the test comes back without an admin's resume.
    'ReturnToService=2',
    `NodeName=${c.host} NodeAddr=127.0.0.1 CPUs=${c.cpus} RealMemory=${c.memoryMiB} State=UNKNOWN`,
    `PartitionName=debug Nodes=${c.host} Default=YES MaxTime=INFINITE State=UP`,
    '',
  ].join('\n');
}
