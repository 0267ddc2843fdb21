/**
 * Alarm codes of the vision line (as the factory's guide names them) and Benchtop's own for the
 * line application. The tracker raises the vision and storage ones; the rest come from the PLC.
 */
export const LineAlarmCodes = {
  /** Part-present timeout (PLC). */
  F103: 'F103',
  /** Vision communication error: the camera failed or timed out on several parts in a row. */
  F205: 'F205',
  /** Pneumatic pressure low (PLC). */
  F301: 'F301',
  /** Cycle time exceeded (PLC). */
  W102: 'W102',
  /** Quality gate failure: a part left the station without a judgement (vision timeout). */
  W204: 'W204',
  /** Parts are waiting for the database (it is slow or down); none are lost while the queue holds. */
  STORAGE_BACKLOG: 'S101',
  /** The write queue is full: parts and events are refused (counted) and not stored. */
  STORAGE_OVERFLOW: 'S102',
} as const;

export interface LineAlarmDefinition {
  code: string;
  title: string;
  /**
   * EPICS severity: F… faults stop the line (major), W… warnings it runs through (minor), as
   * the guide's codes say; S101 holds records without losing any (minor), S102 loses them (major).
   */
  severity: 'major' | 'minor';
  /** ISA-18.2 priority: MAJOR → high, MINOR → medium (the line's own alarms are never low). */
  priority: 'high' | 'medium';
}

/** The alarms LineTracker raises and clears itself, with what the reference says of them. */
export const TRACKER_ALARMS: readonly LineAlarmDefinition[] = [
  { code: LineAlarmCodes.W204, title: 'Quality gate failure', severity: 'minor', priority: 'medium' },
  { code: LineAlarmCodes.F205, title: 'Vision comms error', severity: 'major', priority: 'high' },
  {
    code: LineAlarmCodes.STORAGE_BACKLOG,
    title: 'Line store slow or down, records held',
    severity: 'minor',
    priority: 'medium',
  },
  {
    code: LineAlarmCodes.STORAGE_OVERFLOW,
    title: 'Line store queue full, records not stored',
    severity: 'major',
    priority: 'high',
  },
];

/** The guide's alarms the PLC raises (read from the line's `alarm_tag`). */
export const PLC_ALARMS: readonly LineAlarmDefinition[] = [
  { code: LineAlarmCodes.F103, title: 'Part-present timeout', severity: 'major', priority: 'high' },
  { code: LineAlarmCodes.F301, title: 'Pneumatic pressure low', severity: 'major', priority: 'high' },
  { code: LineAlarmCodes.W102, title: 'Cycle time exceeded', severity: 'minor', priority: 'medium' },
];

/**
 * The definition of any line alarm code: the known ones as listed, another code by its letter
 * (F… a fault, major; anything else a warning, minor), so a PLC code nobody listed still alarms.
 */
export function lineAlarmDefinition(code: string): LineAlarmDefinition {
  const known = [...TRACKER_ALARMS, ...PLC_ALARMS].find((d) => d.code === code);
  if (known) return known;
  return code.startsWith('F')
    ? { code, title: 'PLC fault', severity: 'major', priority: 'high' }
    : { code, title: 'PLC warning', severity: 'minor', priority: 'medium' };
}

/** `alarm_tag`'s number as a code: 301 → F301, −102 → W102, 0 (or not a number) → none. */
export function plcAlarmCode(value: unknown): string | null {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n) || n === 0) return null;
  return `${n < 0 ? 'W' : 'F'}${String(Math.abs(n)).padStart(3, '0')}`;
}
