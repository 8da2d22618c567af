/**
 * CPU time of Chromium's processes by kind (its renderers, the GPU process, the browser process
 * and the rest: zygotes, the network and storage services), from /proc: the processes under this
 * bench process whose program is Chromium, told apart by their `--type=` switch. Read before and
 * after a round of a scenario, the difference says which of them did the round's work; the page
 * figures alone do not show a renderer that got faster by pushing work to the GPU process.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { cpuMsOfStat, processCpuMs } from './machine';

export type ChromiumCpu = { renderer: number; gpu: number; browser: number; other: number };

function parentOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return null;
  }
}

/** The kind from the command line; Chromium's zygote children rewrite theirs as one string with spaces. */
function kindOf(cmdline: string): keyof ChromiumCpu {
  if (/^\S*crashpad/.test(cmdline)) return 'other';
  const type = /--type=([\w-]+)/.exec(cmdline)?.[1];
  if (type === undefined) return 'browser';
  if (type === 'renderer') return 'renderer';
  if (type === 'gpu-process') return 'gpu';
  return 'other';
}

/** CPU ms used so far by each kind of Chromium process descended from `ancestor`; null without /proc. */
export function chromiumCpu(ancestor = process.pid): ChromiumCpu | null {
  const processes = chromiumProcesses(ancestor);
  if (!processes) return null;
  const total: ChromiumCpu = { renderer: 0, gpu: 0, browser: 0, other: 0 };
  for (const p of processes) total[p.kind] += p.cpuMs;
  return total;
}

/** CPU ms used so far by each renderer process (one per page here) descended from `ancestor`, by pid; null without /proc. */
export function rendererCpu(ancestor = process.pid): Map<number, number> | null {
  const processes = chromiumProcesses(ancestor);
  if (!processes) return null;
  return new Map(processes.filter((p) => p.kind === 'renderer').map((p) => [p.pid, p.cpuMs]));
}

/** CPU ms used so far by each thread of process `pid`, summed by thread name (a renderer's main thread is its program's name); null once it is gone. */
export function threadsCpu(pid: number): Map<string, number> | null {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return null;
  }
  const byName = new Map<string, number>();
  for (const tid of tids) {
    try {
      const { name, ms } = cpuMsOfStat(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8'));
      byName.set(name, (byName.get(name) ?? 0) + ms);
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return byName;
}

function chromiumProcesses(ancestor: number): { pid: number; kind: keyof ChromiumCpu; cpuMs: number }[] | null {
  let pids: number[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number);
  } catch {
    return null;
  }
  const parents = new Map<number, number | null>(pids.map((pid) => [pid, parentOf(pid)]));
  const under = (pid: number): boolean => {
    for (let p = parents.get(pid) ?? null, hops = 0; p !== null && p > 1 && hops < 32; p = parents.get(p) ?? null, hops++) if (p === ancestor) return true;
    return false;
  };
  const found: { pid: number; kind: keyof ChromiumCpu; cpuMs: number }[] = [];
  for (const pid of pids) {
    if (!under(pid)) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (!/^\S*chrom/i.test(cmdline)) continue;
    const ms = processCpuMs(pid);
    if (ms !== null) found.push({ pid, kind: kindOf(cmdline), cpuMs: ms });
  }
  return found;
}

/** after - before, per kind. */
export function cpuBetween(before: ChromiumCpu, after: ChromiumCpu): ChromiumCpu {
  return { renderer: after.renderer - before.renderer, gpu: after.gpu - before.gpu, browser: after.browser - before.browser, other: after.other - before.other };
}
