import { lineAlarmDefinition, PLC_ALARMS, TRACKER_ALARMS } from './line-alarm-codes.ts';
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
 * One line's alarms in the alarm service: every code the tracker or the PLC raises is declared up front
 * (so it is listed, counted in the metrics and keeps its acknowledgement across restarts), and
 * raise/clear set it active or normal. The number in the context that says how bad it is
 * (records queued, failures in a row) becomes the alarm's value.
 */
export function lineAlarmSink(lineId: string, registry: RaisedAlarmRegistry): LineAlarmSink {
  const define = (code: string) => {
    const def = lineAlarmDefinition(code);
    registry.defineRaised({
      id: lineAlarmId(lineId, code),
      kind: 'line',
      source: lineId,
      description: `${def.code} ${def.title} (line ${lineId})`,
      priority: def.priority,
      severity: def.severity,
    });
  };
  for (const def of [...TRACKER_ALARMS, ...PLC_ALARMS]) define(def.code);
  return {
    raise(code, message, context) {
      define(code); // a PLC code nobody listed (declaring is idempotent)
      const value = [context.queuedRecords, context.failures].find((v) => typeof v === 'number');
      registry.setRaised(lineAlarmId(lineId, code), true, {
        message,
        ...(typeof value === 'number' ? { value } : {}),
      });
    },
    clear(code) {
      define(code);
      registry.setRaised(lineAlarmId(lineId, code), false);
    },
  };
}
