import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second for /proc CPU times (USER_HZ; 100 on every Linux we run on, asked once). */
const ticksPerSecond = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU seconds (user + system, all threads) a process has used so far. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may itself contain spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return (utime + stime) / ticksPerSecond;
}

/**
 * CPU seconds a process's live threads have run, to the nanosecond (the first field of each
 * thread's /proc schedstat), for spans too short for `cpuSeconds`' 10 ms clock ticks (a quick
 * benchmark round of a fraction of a second). Threads that have exited no longer count, so
 * take differences over spans in which the process keeps its threads (a server under load).
 */
export function threadCpuSeconds(pid: number): number {
  let ns = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return ns / 1e9;
}

/** Resident set size in bytes. */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
  if (!match) throw new Error(`no VmRSS for process ${pid}`);
  return Number(match[1]) * 1024;
}

export interface ProcessSample {
  /** Seconds since sampling started. */
  t: number;
  rssBytes: number;
  cpuSeconds: number;
}

/**
 * Samples another process's RSS and CPU time from /proc at a fixed interval, from the
 * harness's own process, so the measured process does nothing extra to be measured.
 */
export class ProcessSampler {
  readonly pid: number;
  readonly samples: ProcessSample[] = [];
  private timer: NodeJS.Timeout | null = null;
  private started = 0;

  constructor(pid: number) {
    this.pid = pid;
  }

  start(intervalMs: number): this {
    this.started = performance.now();
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
    return this;
  }

  stop(): ProcessSample[] {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.sample();
    return this.samples;
  }

  /** Samples taken between `fromS` and `toS` seconds after start. */
  between(fromS: number, toS: number): ProcessSample[] {
    return this.samples.filter((s) => s.t >= fromS && s.t <= toS);
  }

  /** Average CPU use (1.0 = one core) between two sampling times. */
  cpuCores(fromS: number, toS: number): number | null {
    const window = this.between(fromS, toS);
    if (window.length < 2) return null;
    const first = window[0]!;
    const last = window.at(-1)!;
    return (last.cpuSeconds - first.cpuSeconds) / (last.t - first.t);
  }

  private sample(): void {
    try {
      this.samples.push({
        t: (performance.now() - this.started) / 1000,
        rssBytes: rssBytes(this.pid),
        cpuSeconds: cpuSeconds(this.pid),
      });
    } catch {
      // the process has gone; the samples so far stand
    }
  }
}
