import { access, constants, statfs } from 'node:fs/promises';
import type { Clock } from '../../core/clock.ts';
import type { InstrumentDirectory } from '../../core/instrument-directory.ts';
import type { DiskState } from '../../storage/disk-space.ts';

export type HealthStatus = 'healthy' | 'degraded' | 'unhealthy';

export interface HealthCheck {
  name: string;
  status: HealthStatus;
  details: Record<string, unknown>;
}

export interface HealthReport {
  status: HealthStatus;
  checked_at: string;
  checks: HealthCheck[];
}

/** A check other parts of Benchtop contribute (parameter logging, database, storage writers). */
export type HealthProbe = () => Promise<HealthCheck>;

export interface HealthOptions {
  clock: Clock;
  instruments: InstrumentDirectory;
  dataDir: string;
  /** Below this free space storage is degraded; below a tenth of it, unhealthy. */
  minFreeBytes: number;
  cacheMs: number;
  /** Knows when a write failed for lack of space; storage is unhealthy until space returns. */
  disk?: { check(): DiskState };
}

const worst = (a: HealthStatus, b: HealthStatus): HealthStatus =>
  a === 'unhealthy' || b === 'unhealthy'
    ? 'unhealthy'
    : a === 'degraded' || b === 'degraded'
      ? 'degraded'
      : 'healthy';

/**
 * Readiness as operations teams read it: degraded when some instruments are down or disk is
 * getting full, unhealthy when no instrument is up or storage cannot be written. Results are
 * cached for a few seconds so a tight probe loop does not load the instruments.
 */
export class HealthService {
  private readonly options: HealthOptions;
  private readonly probes: HealthProbe[] = [];
  private cached: { at: number; report: HealthReport } | null = null;

  constructor(options: HealthOptions) {
    this.options = options;
  }

  addProbe(probe: HealthProbe): void {
    this.probes.push(probe);
  }

  async report(): Promise<HealthReport> {
    const now = this.options.clock.monotonic();
    if (this.cached && now - this.cached.at < this.options.cacheMs) return this.cached.report;
    const checks = [this.instrumentCheck(), await this.storageCheck()];
    for (const probe of this.probes) {
      try {
        checks.push(await probe());
      } catch (error) {
        checks.push({ name: 'probe', status: 'unhealthy', details: { error: (error as Error).message } });
      }
    }
    const report: HealthReport = {
      status: checks.reduce<HealthStatus>((s, c) => worst(s, c.status), 'healthy'),
      checked_at: new Date(this.options.clock.now()).toISOString(),
      checks,
    };
    this.cached = { at: now, report };
    return report;
  }

  private instrumentCheck(): HealthCheck {
    const list = this.options.instruments.list();
    const details: Record<string, unknown> = {};
    let ready = 0;
    for (const i of list) {
      const s = i.status();
      if (s.state === 'ready') ready++;
      details[i.id] = {
        type: i.type,
        state: s.state,
        connected: s.state === 'ready',
        ...(s.lastError ? { error: s.lastError } : {}),
      };
    }
    const status: HealthStatus =
      list.length === 0 || ready === list.length ? 'healthy' : ready === 0 ? 'unhealthy' : 'degraded';
    return { name: 'instruments', status, details: { ready, total: list.length, instruments: details } };
  }

  private async storageCheck(): Promise<HealthCheck> {
    const { dataDir, minFreeBytes } = this.options;
    try {
      await access(dataDir, constants.W_OK);
    } catch (error) {
      return {
        name: 'storage',
        status: 'unhealthy',
        details: { path: dataDir, writable: false, error: (error as Error).message },
      };
    }
    const s = await statfs(dataDir);
    const free = Number(s.bavail) * Number(s.bsize);
    const disk = this.options.disk?.check();
    const status: HealthStatus =
      disk?.full || free < minFreeBytes / 10 ? 'unhealthy' : free < minFreeBytes ? 'degraded' : 'healthy';
    return {
      name: 'storage',
      status,
      details: {
        path: dataDir,
        writable: true,
        free_bytes: free,
        min_free_bytes: minFreeBytes,
        ...(disk?.full
          ? {
              disk_full: true,
              reason: disk.reason,
              source: disk.source,
              since: disk.since === null ? null : new Date(disk.since).toISOString(),
            }
          : {}),
      },
    };
  }
}
