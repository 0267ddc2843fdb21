import type { EventBus } from '../core/bus.ts';
import type { BenchtopEvents } from '../core/events.ts';
import type { LineKpiUpdate } from './line-kpi-publisher.ts';
import type { DefectRecord, LineEvent, PartRecord } from './line-records.ts';
import type { LineTrackerOptions, TrackedPart } from './line-tracker.ts';

/** A part as tracked, on the bus: its record, what was written back, and how fast. */
export interface LinePartEvent {
  part: PartRecord;
  /** The value written to the result tag, or null if the write failed. */
  resultWritten: number | null;
  latencyMs: number;
}

declare module '../core/events.ts' {
  interface BenchtopEvents {
    'line.part': LinePartEvent;
    /** One per NG tool of a part, as stored (disposition pending). */
    'line.defect': DefectRecord;
    /** A `state_tag` change, with the previous state's duration. */
    'line.state': LineEvent;
    /** A line alarm raised or cleared (W204, F205, S101, or one recorded from the PLC). */
    'line.alarm': LineEvent;
    /** The line's KPIs over the current shift so far, at most once per second (LineKpiPublisher). */
    'line.kpis': LineKpiUpdate;
  }
}

/** The tracker hooks that publish what the lines track on the bus (the stream and tests listen). */
export function lineBusHooks(
  bus: EventBus<BenchtopEvents>,
): Pick<LineTrackerOptions, 'onTracked' | 'onLineEvent'> {
  return {
    onTracked: (tracked: TrackedPart) => {
      bus.emit('line.part', {
        part: tracked.part,
        resultWritten: tracked.resultWritten,
        latencyMs: tracked.latencyMs,
      });
      for (const defect of tracked.defects) bus.emit('line.defect', defect);
    },
    onLineEvent: (event) => bus.emit(event.kind === 'state' ? 'line.state' : 'line.alarm', event),
  };
}
