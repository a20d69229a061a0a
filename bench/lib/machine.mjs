// How busy the machine was while we measured: all CPU time spent on the machine (from /proc/stat)
// minus the CPU time of our own processes (the runner with its load generator, and the servers).
// What is left is other processes' work, which competes with ours for the 2 cores and makes a
// round noisy.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { cpuTicksOf } from './processes.mjs';

let clockTicks = 100;
try {
  clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
} catch {
  // 100 on every Linux this runs on
}

function machineBusyTicks() {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
    // cpu user nice system idle iowait irq softirq steal guest guest_nice
    const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
    return user + nice + system + irq + softirq + steal;
  } catch {
    return NaN;
  }
}

export class BusyMeter {
  /** @param {() => number[]} ourPids the pids whose CPU time is ours (read at every snapshot) */
  constructor(ourPids) {
    this.ourPids = ourPids;
  }

  snapshot() {
    const pids = this.ourPids();
    return {
      at: process.hrtime.bigint(),
      busy: machineBusyTicks(),
      ours: Object.fromEntries(pids.map((pid) => [pid, cpuTicksOf(pid)])),
    };
  }

  /** CPU time of one of our processes between two snapshots, in seconds (every thread of it). */
  cpuSecondsOf(pid, start, end) {
    if (pid === undefined || start.ours[pid] === undefined || end.ours[pid] === undefined) return NaN;
    return (end.ours[pid] - start.ours[pid]) / clockTicks;
  }

  /** CPU used between two snapshots, in cores (1.0 = one core busy all the time). */
  between(start, end) {
    const seconds = Number(end.at - start.at) / 1e9;
    let ours = 0;
    for (const [pid, ticks] of Object.entries(end.ours)) ours += ticks - (start.ours[pid] ?? 0);
    const busy = end.busy - start.busy;
    return {
      seconds,
      machineCores: busy / clockTicks / seconds,
      ourCores: ours / clockTicks / seconds,
      otherCores: Math.max(0, (busy - ours) / clockTicks / seconds),
      loadavg1: loadavg()[0],
    };
  }
}

export function machineInfo() {
  const list = cpus();
  return { cpus: list.length, cpuModel: list[0]?.model ?? 'unknown', clockTicks, loadavg: loadavg() };
}
