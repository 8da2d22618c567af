/** What the figures were measured on: they mean little without it. */
import { readFileSync } from 'node:fs';
import { cpus, totalmem, freemem, loadavg, platform, release } from 'node:os';
import { availableParallelism } from 'node:os';

export interface MachineInfo {
  nproc: number;
  cpuModel: string;
  memoryGiB: number;
  freeMemoryGiB: number;
  loadAverage1m: number;
  node: string;
  os: string;
}

export function machineInfo(): MachineInfo {
  return {
    nproc: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    freeMemoryGiB: Math.round((freemem() / 1024 ** 3) * 10) / 10,
    loadAverage1m: Math.round(loadavg()[0]! * 100) / 100,
    node: process.version,
    os: `${platform()} ${release()}`,
  };
}

/**
 * CPU time (user + system, every thread) a process has used so far, from /proc/<pid>/stat; null
 * where there is no /proc. Counted in clock ticks of 1/100 s (USER_HZ on Linux).
 */
export function processCpuMs(pid: number): number | null {
  try {
    return cpuMsOfStat(readFileSync(`/proc/${pid}/stat`, 'utf8')).ms;
  } catch {
    return null;
  }
}

/** A /proc `stat` line (a process's or one thread's): its command name, and its CPU ms so far. */
export function cpuMsOfStat(stat: string): { name: string; ms: number } {
  // Fields after the command name (which may hold spaces) start at ") "; utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), ms: (Number(fields[11]) + Number(fields[12])) * 10 };
}
