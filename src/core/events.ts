import type { RunDocumentEvent, RunProgress, RunStateChange, RunWarning } from '../engine/run-events.ts';
import type { AlarmEvent, AlarmSnapshot } from '../server/alarms/alarm-types.ts';
import type { ActorStateChange } from './actor-state.ts';
import type { DriverIdentity } from './device.ts';
import type { Frame } from './frame.ts';
import type { LogRecord } from './log-ring.ts';
import type { Reading } from './reading.ts';
import type { PresentedStimulusFrame, StimulusRunChange } from './stimulus-frame.ts';

/**
 * Every topic on the in-process bus and what it carries. Producers and consumers import
 * this map, so a payload's shape is written once. Later modules add their topics here.
 */
export interface BenchtopEvents {
  /** An actor (instrument, writer) changed life-cycle state. */
  'actor.state': ActorStateChange;
  /** A value read from (or reported by) an instrument. */
  'instrument.reading': Reading;
  /** A command finished (read/write/call as the caller saw it, including queueing and completion). */
  'instrument.command': {
    instrument: string;
    op: 'read' | 'write' | 'call';
    seconds: number;
    outcome: 'ok' | 'error';
  };
  /** An instrument identified itself on connect. */
  'instrument.identity': { instrument: string; identity: DriverIdentity };
  /** An alarm changed state (activated, escalated, cleared, acknowledged, shelved, unshelved). */
  'alarm.changed': { alarm: AlarmSnapshot; event: AlarmEvent };
  /** An alarm configured with suspend_runs became active (suspend) or cleared (resume). */
  'alarm.suspend_runs': { alarm: string; active: boolean; reason: string };
  /** The data disk became full (writes fail with ENOSPC) or has space again. */
  'storage.disk': { full: boolean; path: string; free_bytes: number; reason: string | null };
  /** A log record (the `logs` stream channel). */
  'log.record': LogRecord;
  /** A bus subscriber threw; the bus isolated it. */
  'bus.handler_error': { topic: string; message: string };
  /**
   * Every frame a camera acquired, in order (a frame-number gap means counted overruns). All
   * subscribers share the frame: its pixels are read-only and valid only during the call (a
   * recorder may transfer the buffer right after): copy what you keep, synchronously.
   */
  'camera.frame': { instrument: string; frame: Frame };
  /** Frames a stimulus display presented, in index order, as its page reported them. */
  'stimulus.frames': { display: string; run: string; frames: PresentedStimulusFrame[] };
  /** A stimulus presentation run started, finished, stalled or was stopped. */
  'stimulus.run': StimulusRunChange;
  /** Every run document (start, descriptor, event, stream_resource, stream_datum, stop), in order. */
  'run.document': RunDocumentEvent;
  /** Points done / total and ETA of the running run. */
  'run.progress': RunProgress;
  /** A run was queued, started, paused, suspended, resumed, finished or cancelled. */
  'run.state': RunStateChange;
  /** Writer backpressure or drops, catalog failures, a device that would not stop. */
  'run.warning': RunWarning;
}
