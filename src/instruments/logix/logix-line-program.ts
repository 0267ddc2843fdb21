import { LINE_ALARMS, type LineAlarmCode, type ProductionLine } from '../../sim/production-line.ts';
import type { TagDefinition } from './logix-tag-database.ts';
import { LogixTagDatabase } from './logix-tag-database.ts';

/** Zone temperatures in the `Temps` array. */
export const TEMP_ZONES = 10;
/** Elements of `Recipe.Setpoints`: 800 bytes, more than one reply holds (fragmented reads/writes). */
export const RECIPE_SETPOINTS = 200;

/**
 * The vision line's controller tags. Logix would keep `Line.State` as member `State` of a
 * `Line` UDT; the simulator keeps every tag flat under its dotted name, which reads and writes
 * the same on the wire (one symbolic segment per name part) and lists as atomic tags.
 */
export const LINE_TAGS: readonly TagDefinition[] = [
  { name: 'Line.State', type: 'DINT' },
  { name: 'Line.RunCmd', type: 'BOOL' },
  { name: 'Line.Reset', type: 'BOOL' },
  { name: 'Emergency.Stop', type: 'BOOL' },
  { name: 'Part.Counter', type: 'DINT' },
  { name: 'Part.Completed', type: 'BOOL' },
  { name: 'Part.Id', type: 'DINT' },
  { name: 'Part.Sku', type: 'DINT' },
  { name: 'Quality.PassCount', type: 'DINT' },
  { name: 'Quality.FailCount', type: 'DINT' },
  { name: 'Quality.Result', type: 'DINT' },
  { name: 'Station01.CycleTimeMs', type: 'DINT' },
  { name: 'Process.Temperature', type: 'REAL' },
  { name: 'Process.Pressure', type: 'REAL' },
  { name: 'Alarm.Code', type: 'DINT' },
  { name: 'Temps', type: 'REAL', elements: TEMP_ZONES },
  { name: 'Recipe.Setpoints', type: 'REAL', elements: RECIPE_SETPOINTS },
  { name: 'Maintenance.Flags', type: 'DINT' },
  { name: 'Maintenance.Shift', type: 'SINT', initial: 1 },
  { name: 'Maintenance.Operators', type: 'INT', initial: 3 },
  { name: 'Maintenance.RunHours', type: 'LINT', initial: 12_345n },
  { name: 'Maintenance.Calibration', type: 'LREAL', initial: 1.000125 },
];

/**
 * Alarm.Code as a DINT: the code's number, negative for a warning (F103 → 103, W204 → −204),
 * 0 when nothing is active. The PLC program has no STRING tags here.
 */
export function alarmCodeNumber(code: LineAlarmCode | null): number {
  if (code === null) return 0;
  const n = Number(code.slice(1));
  return code.startsWith('W') ? -n : n;
}

export function alarmCodeFromNumber(n: number): LineAlarmCode | null {
  if (n === 0) return null;
  const code = `${n < 0 ? 'W' : 'F'}${Math.abs(n)}`;
  return code in LINE_ALARMS ? (code as LineAlarmCode) : null;
}

/**
 * The controller's program: keeps the tags in step with the line model and hands the
 * commands written to it (RunCmd, the Reset pulse, Emergency.Stop, Quality.Result) to the line.
 */
export function lineTagDatabase(line: ProductionLine): LogixTagDatabase {
  const db = new LogixTagDatabase();
  for (const def of LINE_TAGS) db.define(def);
  const sync = () => {
    db.set('Line.State', line.state);
    db.set('Line.RunCmd', line.runCommanded);
    db.set('Emergency.Stop', line.emergencyStopActive);
    db.set('Part.Counter', line.partCounter);
    db.set('Part.Completed', line.partCompleted);
    db.set('Part.Id', line.lastPart?.id ?? 0);
    db.set('Part.Sku', line.lastPart?.skuCode ?? 0);
    db.set('Quality.PassCount', line.passCount);
    db.set('Quality.FailCount', line.failCountTotal);
    db.set('Station01.CycleTimeMs', line.lastCycleTimeMs);
    db.set('Alarm.Code', alarmCodeNumber(line.activeAlarm()));
  };
  sync();
  line.onChange(sync);
  db.onClientWrite('Line.RunCmd', (tag) => line.setRunCommand(tag.value() === true));
  db.onClientWrite('Emergency.Stop', (tag) => line.setEmergencyStop(tag.value() === true));
  let resetWas = false;
  db.onClientWrite('Line.Reset', (tag) => {
    const now = tag.value() === true;
    if (now && !resetWas) line.reset();
    resetWas = now;
  });
  db.onClientWrite('Quality.Result', (tag) => line.recordQuality(Number(tag.value())));
  // Process values depend on time: computed when read, as the PLC's analog inputs would be.
  db.onBeforeRead('Process.Temperature', () => db.set('Process.Temperature', line.temperatureC()));
  db.onBeforeRead('Process.Pressure', () => db.set('Process.Pressure', line.pressureBar()));
  db.onBeforeRead('Temps', () =>
    db.set(
      'Temps',
      Array.from({ length: TEMP_ZONES }, (_, zone) => line.temperatureC(zone)),
    ),
  );
  // Commands written from outside may be overridden by the program (an E-stop drops RunCmd).
  db.onBeforeRead('Line.RunCmd', sync);
  return db;
}
