/** What the figures were measured on: they mean little without it. */
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
