import { randomUUID } from 'node:crypto';
import type {
  DataKey,
  EventDescriptor,
  ExitStatus,
  RunEvent,
  RunStart,
  RunStop,
  StreamDatum,
  StreamResource,
} from '../core/documents.ts';
import { BenchtopError } from '../core/errors.ts';

/**
 * Compose helpers in the manner of event-model's `compose_run`: each document is made by the
 * bundle of the document it belongs to, so uids, `run_start`, `descriptor`, per-stream
 * `seq_num` (from 1) and `num_events` are linked by construction, never by hand.
 */

/** Keys of the start document that user metadata may not replace. */
export const RESERVED_START_KEYS = [
  'uid',
  'time',
  'scan_id',
  'plan_name',
  'plan_args',
  'metadata',
  'config',
  'instruments',
  'versions',
  'hints',
  'num_points',
] as const;

/** The start document's own fields (RunStart's index signature would swallow them in an Omit). */
export type StartFields = Pick<
  RunStart,
  | 'plan_name'
  | 'plan_args'
  | 'metadata'
  | 'config'
  | 'instruments'
  | 'versions'
  | 'hints'
  | 'num_points'
  | 'scan_id'
>;

export interface DescriptorBundle {
  doc: EventDescriptor;
  /** The next event of this stream: seq_num counts up from 1. */
  event(
    data: Record<string, unknown>,
    timestamps: Record<string, number>,
    time: number,
    filled?: Record<string, boolean>,
  ): RunEvent;
  /** The seq_num the next event will get. */
  readonly nextSeqNum: number;
}

export interface ResourceBundle {
  doc: StreamResource;
  /** A datum for rows [start, stop) of the resource, matching events [seqStart, seqStop). */
  datum(
    descriptor: string,
    indices: { start: number; stop: number },
    seqNums: { start: number; stop: number },
  ): StreamDatum;
}

export interface RunBundle {
  start: RunStart;
  descriptor(fields: {
    name: string;
    data_keys: Record<string, DataKey>;
    configuration?: EventDescriptor['configuration'];
    object_keys?: Record<string, string[]>;
    hints?: EventDescriptor['hints'];
    time: number;
  }): DescriptorBundle;
  streamResource(fields: Omit<StreamResource, 'uid' | 'run_start'>): ResourceBundle;
  stop(exitStatus: ExitStatus, reason: string, time: number): RunStop;
  /** Events so far, per stream name. */
  numEvents(): Record<string, number>;
}

export function composeRun(
  start: { uid?: string; time: number } & StartFields,
  newUid: () => string = randomUUID,
): RunBundle {
  const runUid = start.uid ?? newUid();
  const startDoc: RunStart = { ...start.metadata, ...start, uid: runUid };
  const numEvents: Record<string, number> = {};
  const streams = new Set<string>();
  let stopped = false;

  return {
    start: startDoc,
    descriptor(fields) {
      if (stopped) throw closedError(runUid, 'descriptor');
      if (streams.has(fields.name)) {
        throw new BenchtopError(
          'INTERNAL',
          `run ${runUid} already has a descriptor for stream "${fields.name}"`,
          {
            uid: runUid,
            stream: fields.name,
          },
        );
      }
      streams.add(fields.name);
      numEvents[fields.name] = 0;
      const doc: EventDescriptor = {
        uid: newUid(),
        run_start: runUid,
        time: fields.time,
        name: fields.name,
        data_keys: fields.data_keys,
        configuration: fields.configuration ?? {},
        object_keys: fields.object_keys ?? {},
        ...(fields.hints ? { hints: fields.hints } : {}),
      };
      let seq = 1;
      return {
        doc,
        get nextSeqNum() {
          return seq;
        },
        event(data, timestamps, time, filled) {
          if (stopped) throw closedError(runUid, 'event');
          numEvents[doc.name] = seq;
          return {
            uid: newUid(),
            descriptor: doc.uid,
            seq_num: seq++,
            time,
            data,
            timestamps,
            ...(filled ? { filled } : {}),
          };
        },
      };
    },
    streamResource(fields) {
      if (stopped) throw closedError(runUid, 'stream_resource');
      const doc: StreamResource = { uid: newUid(), run_start: runUid, ...fields };
      let n = 0;
      return {
        doc,
        datum(descriptor, indices, seqNums) {
          return {
            uid: `${doc.uid}/${n++}`,
            stream_resource: doc.uid,
            descriptor,
            indices: { ...indices },
            seq_nums: { ...seqNums },
          };
        },
      };
    },
    stop(exitStatus, reason, time) {
      if (stopped) throw closedError(runUid, 'stop');
      stopped = true;
      return {
        uid: newUid(),
        run_start: runUid,
        time,
        exit_status: exitStatus,
        reason,
        num_events: { ...numEvents },
      };
    },
    numEvents: () => ({ ...numEvents }),
  };
}

function closedError(uid: string, what: string): BenchtopError {
  return new BenchtopError('RUN_STATE_CONFLICT', `run ${uid} is closed; cannot add a ${what} document`, {
    uid,
  });
}
