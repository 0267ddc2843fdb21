import { statfsSync } from 'node:fs';
import { BenchtopError } from '../core/errors.ts';

/** Whether the data disk is full, as the alarm, /health and the parameter log see it. */
export interface DiskState {
  full: boolean;
  path: string;
  freeBytes: number;
  totalBytes: number;
  /** What found the disk full (e.g. "HDF5 writer", "parameter log"), and its error. */
  source: string | null;
  reason: string | null;
  /** Epoch ms when the disk was found full. */
  since: number | null;
}

export interface DiskSpaceOptions {
  /** The output directory: free space is measured on its filesystem. */
  path: string;
  /**
   * A write that fails while less than this is free is taken as the disk being full even when
   * the error does not say ENOSPC (HDF5 reports "file write failed"). Default 1 MiB.
   */
  nearlyFullBytes?: number;
  /** The disk counts as usable again once this much is free. Default 4 MiB. */
  resumeFreeBytes?: number;
  now?: () => number;
  /** The disk became full, or usable again. */
  onChange?: (state: DiskState) => void;
}

const MIB = 1024 * 1024;
const FULL_CODES = new Set(['ENOSPC', 'EFBIG', 'EDQUOT']);
const FULL_TEXT =
  /ENOSPC|EFBIG|EDQUOT|no space left|disk is full|database or disk is full|file too large|quota exceeded/i;
/** SQLite's SQLITE_FULL. */
const SQLITE_FULL = 13;

/** True when `error` (or any error in its `cause` chain) says the disk or file-size limit is full. */
export function saysDiskFull(error: unknown): boolean {
  for (let e = error, depth = 0; e && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    const x = e as {
      code?: unknown;
      errcode?: unknown;
      message?: unknown;
      details?: Record<string, unknown>;
    };
    if (typeof x.code === 'string' && FULL_CODES.has(x.code)) return true;
    if (x.errcode === SQLITE_FULL || x.code === 'STORAGE_FULL') return true;
    if (typeof x.message === 'string' && FULL_TEXT.test(x.message)) return true;
    const d = x.details;
    if (d && (FULL_CODES.has(String(d.errno)) || FULL_TEXT.test(String(d.systemError ?? '')))) return true;
  }
  return false;
}

/** Free and total bytes of the filesystem holding `path` (NaN when it cannot be measured). */
export function spaceOn(path: string): { freeBytes: number; totalBytes: number } {
  try {
    const s = statfsSync(path);
    return { freeBytes: Number(s.bavail) * Number(s.bsize), totalBytes: Number(s.blocks) * Number(s.bsize) };
  } catch {
    return { freeBytes: Number.NaN, totalBytes: Number.NaN };
  }
}

export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return 'unknown';
  if (n < 1024) return `${n} B`;
  if (n < MIB) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 * MIB) return `${(n / MIB).toFixed(1)} MiB`;
  return `${(n / 1024 / MIB).toFixed(2)} GiB`;
}

/**
 * One place that knows whether the data disk is full. Writers, the catalog and the parameter
 * log pass their write failures through `explain`; a full disk becomes one STORAGE_FULL error
 * that names ENOSPC, the path and the free bytes (instead of "file write failed" or SQLite's
 * "cannot rollback"), and the state flips to full until `check` finds space again.
 */
export class DiskSpace {
  private readonly options: DiskSpaceOptions;
  private current: DiskState;

  constructor(options: DiskSpaceOptions) {
    this.options = options;
    this.current = {
      full: false,
      path: options.path,
      ...spaceOn(options.path),
      source: null,
      reason: null,
      since: null,
    };
  }

  get path(): string {
    return this.options.path;
  }

  state(): DiskState {
    return { ...this.current };
  }

  /**
   * A STORAGE_FULL error if `error` is the disk being full (it says so, or a write failed with
   * almost nothing free), after marking the disk full; otherwise undefined.
   */
  explain(error: unknown, source: string, path = this.options.path): BenchtopError | undefined {
    if (error instanceof BenchtopError && error.code === 'STORAGE_FULL') {
      this.markFull(source, error.message);
      return error;
    }
    const space = spaceOn(this.options.path);
    const nearlyFull = space.freeBytes < (this.options.nearlyFullBytes ?? MIB);
    if (!saysDiskFull(error) && !nearlyFull) return undefined;
    const original = error instanceof Error ? error.message : String(error);
    const full = new BenchtopError(
      'STORAGE_FULL',
      `disk full (ENOSPC): ${source} cannot write to ${path}: ${formatBytes(space.freeBytes)} free of ${formatBytes(space.totalBytes)} (${original})`,
      {
        errno: 'ENOSPC',
        path,
        free_bytes: space.freeBytes,
        total_bytes: space.totalBytes,
        source,
        ...(error instanceof BenchtopError ? { original: error.code, ...error.details } : {}),
      },
      { cause: error },
    );
    this.markFull(source, full.message, space);
    return full;
  }

  /** Measures free space; a full disk counts as usable again once `resumeFreeBytes` are free. */
  check(): DiskState {
    const space = spaceOn(this.options.path);
    Object.assign(this.current, space);
    if (this.current.full && space.freeBytes >= (this.options.resumeFreeBytes ?? 4 * MIB)) {
      this.current = { ...this.current, full: false, source: null, reason: null, since: null };
      this.options.onChange?.(this.state());
    }
    return this.state();
  }

  private markFull(source: string, reason: string, space = spaceOn(this.options.path)): void {
    const wasFull = this.current.full;
    this.current = {
      ...this.current,
      ...space,
      full: true,
      source: wasFull ? this.current.source : source,
      reason: wasFull ? this.current.reason : reason,
      since: wasFull ? this.current.since : (this.options.now ?? Date.now)(),
    };
    if (!wasFull) this.options.onChange?.(this.state());
  }
}

declare module '../core/events.ts' {
  interface BenchtopEvents {
    /** The data disk became full (writes fail with ENOSPC) or has space again. */
    'storage.disk': { full: boolean; path: string; free_bytes: number; reason: string | null };
  }
}
