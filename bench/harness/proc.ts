// What the kernel says about a process and the machine: CPU time from /proc/<pid>/stat, peak RSS
// from /proc/<pid>/status, and the line that says where a run's figures were taken. Linux only,
// as the harness is; the parsers are separate from the reads so a test can feed them text.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';

/** Clock ticks per second, the unit of utime and stime (100 on every Linux we know, but ask). */
export const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/**
 * utime + stime, in ticks, from the text of /proc/<pid>/stat. The command name (field 2) is in
 * parentheses and may hold spaces and parentheses itself, so the fields are counted from the last
 * ')': after it come state (field 3) ... utime (14) and stime (15).
 */
export function parseStatTicks(stat: string): number {
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(rest[14 - 3]);
  const stime = Number(rest[15 - 3]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error(`unreadable /proc stat: ${stat.slice(0, 80)}`);
  return utime + stime;
}

/** CPU seconds (user + system) the process has used so far. */
export function cpuSeconds(pid: number): number {
  return parseStatTicks(readFileSync(`/proc/${pid}/stat`, 'utf8')) / CLK_TCK;
}

/** A "Name:   value kB" line of /proc/<pid>/status, in bytes. */
export function parseStatusKb(status: string, field: 'VmHWM' | 'VmRSS'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(status);
  if (!m) throw new Error(`no ${field} in /proc status`);
  return Number(m[1]) * 1024;
}

/** Peak resident set size of the process so far (VmHWM), in bytes. */
export function peakRssBytes(pid: number): number {
  return parseStatusKb(readFileSync(`/proc/${pid}/status`, 'utf8'), 'VmHWM');
}

export interface Machine {
  nproc: number;
  model: string;
  node: string;
  loadAverage: string;
}

/** The machine a run is on; read at the start, so the load average is the one the run began with. */
export function machine(): Machine {
  let model = cpus()[0]?.model ?? 'unknown';
  try {
    model = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? model;
  } catch {
    /* not Linux: os.cpus() said it */
  }
  let nproc = cpus().length;
  try {
    nproc = Number(execFileSync('nproc', { encoding: 'utf8' }).trim()) || nproc;
  } catch {
    /* os.cpus() it is */
  }
  return { nproc, model, node: process.version, loadAverage: loadavg().map((l) => l.toFixed(2)).join(' ') };
}

export const machineLine = (m: Machine) => `nproc ${m.nproc}, ${m.model}, Node ${m.node}, load average at start ${m.loadAverage}`;
