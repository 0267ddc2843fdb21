import type { ExitStatus } from '../../core/documents.ts';

/** `running` until the stop document; `interrupted` when the process died during the run. */
export type RunStatus = 'running' | ExitStatus | 'interrupted';

export const RUN_STATUSES: readonly RunStatus[] = ['running', 'success', 'abort', 'fail', 'interrupted'];

/** One catalog entry. Times are seconds since the epoch, as in the run documents. */
export interface RunRecord {
  uid: string;
  scan_id: number | null;
  plan_name: string;
  plan_args: Record<string, unknown>;
  metadata: Record<string, unknown>;
  start_time: number;
  end_time: number | null;
  status: RunStatus;
  reason: string | null;
  /** Paths relative to output_dir. */
  files: string[];
  /** Events per stream, from the stop document. */
  num_events: Record<string, number>;
  /** Writer backend: hdf5 | arrow. */
  format: string;
  /** Set when retention removed the run's files; the entry itself is kept. */
  files_deleted_at: number | null;
}

export interface RunRow {
  uid: string;
  scan_id: number | null;
  plan_name: string;
  plan_args: string;
  metadata: string;
  start_time: number;
  end_time: number | null;
  status: string;
  reason: string | null;
  files: string;
  num_events: string;
  format: string;
  files_deleted_at: number | null;
}

export function runFromRow(row: RunRow): RunRecord {
  return {
    uid: row.uid,
    scan_id: row.scan_id,
    plan_name: row.plan_name,
    plan_args: JSON.parse(row.plan_args),
    metadata: JSON.parse(row.metadata),
    start_time: row.start_time,
    end_time: row.end_time,
    status: row.status as RunStatus,
    reason: row.reason,
    files: JSON.parse(row.files),
    num_events: JSON.parse(row.num_events),
    format: row.format,
    files_deleted_at: row.files_deleted_at,
  };
}
