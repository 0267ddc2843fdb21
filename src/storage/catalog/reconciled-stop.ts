import { createHash } from 'node:crypto';
import type { ExitStatus, RunStop } from '../../core/documents.ts';

/**
 * The stop document of a run closed after the fact (its process died before writing one, and a
 * restarted hub closes it). Its uid is derived from the run's uid, not random: closing the same
 * run again (a second restart, the catalog and PostgreSQL both finding it open) makes the same
 * document, which the DOCS stream (message id) and PostgreSQL (uid key) keep once.
 */
export function reconciledStop(
  runUid: string,
  close: { time: number; exitStatus: ExitStatus; reason: string; numEvents: Record<string, number> },
): RunStop {
  return {
    uid: uidFrom(`benchtop reconciled stop of ${runUid}`),
    run_start: runUid,
    time: close.time,
    exit_status: close.exitStatus,
    reason: close.reason,
    num_events: close.numEvents,
  };
}

/** A UUID-shaped name-based id (the layout of RFC 9562 version 5, SHA-1 of `name`). */
function uidFrom(name: string): string {
  const hash = createHash('sha1').update(name).digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
