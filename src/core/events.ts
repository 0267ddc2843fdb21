import type { ActorStateChange } from './actor-state.ts';
import type { DriverIdentity } from './device.ts';
import type { Frame } from './frame.ts';
import type { LogRecord } from './log-ring.ts';
import type { Reading } from './reading.ts';
import type { PresentedStimulusFrame, StimulusRunChange } from './stimulus-frame.ts';

/**
 * Every topic on the in-process bus and what it carries. Producers and consumers import
 * this map, so a payload's shape is written once. Core declares only its own topics here; each
 * higher module adds its topics beside its types by augmenting this interface
 * (`declare module '../core/events.ts' { interface BenchtopEvents { … } }`), so core never
 * imports the modules that publish on the bus. See docs/bus-topics.md.
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
  /** Benchtop wrote a signal (the instrument accepted it); `at` is epoch ms. */
  'instrument.written': { instrument: string; signal: string; value: unknown; at: number };
  /** An instrument identified itself on connect. */
  'instrument.identity': { instrument: string; identity: DriverIdentity };
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
}
