import { TRACKER_ALARMS } from './line-alarm-codes.ts';
import type { LineAlarmSink } from './line-interfaces.ts';

/** What the sink needs of the alarm service (AlarmService's defineRaised / setRaised). */
export interface RaisedAlarmRegistry {
  defineRaised(def: {
    id: string;
    kind: 'line';
    source: string;
    description: string;
    priority: 'high' | 'medium';
    severity: 'major' | 'minor';
  }): void;
  setRaised(id: string, active: boolean, detail?: { message?: string; value?: number }): void;
}

/** The alarm service's id of a line's alarm: one per line and code. */
export function lineAlarmId(lineId: string, code: string): string {
  return `line:${lineId}:${code}`;
}

/**
 * One line's alarms in the alarm service: every code the tracker raises is declared up front
 * (so it is listed, counted in the metrics and keeps its acknowledgement across restarts), and
 * raise/clear set it active or normal. The number in the context that says how bad it is
 * (records queued, failures in a row) becomes the alarm's value.
 */
export function lineAlarmSink(lineId: string, registry: RaisedAlarmRegistry): LineAlarmSink {
  for (const def of TRACKER_ALARMS)
    registry.defineRaised({
      id: lineAlarmId(lineId, def.code),
      kind: 'line',
      source: lineId,
      description: `${def.code} ${def.title} (line ${lineId})`,
      priority: def.priority,
      severity: def.severity,
    });
  return {
    raise(code, message, context) {
      const value = [context.queuedRecords, context.failures].find((v) => typeof v === 'number');
      registry.setRaised(lineAlarmId(lineId, code), true, {
        message,
        ...(typeof value === 'number' ? { value } : {}),
      });
    },
    clear(code) {
      registry.setRaised(lineAlarmId(lineId, code), false);
    },
  };
}
