import type { ConfigIssue } from './issues.ts';
import type { LineConfig } from './line-schema.ts';
import { breakSpan, shiftSpan, shiftsOverlap } from './shift-times.ts';

interface InstrumentLike {
  id?: unknown;
  type?: unknown;
  config?: unknown;
}

/**
 * The tag names an instrument's config declares. The PLC driver's config lists its tags; the
 * forms accepted are an array of names, an array of `{ name = … }` tables, or a table keyed by
 * name. Undefined when the instrument declares no tag list (nothing to check against).
 */
function declaredTags(instrument: InstrumentLike): Set<string> | undefined {
  const tags = (instrument.config as { tags?: unknown } | undefined)?.tags;
  if (Array.isArray(tags)) {
    const names = tags
      .map((t) => (typeof t === 'string' ? t : (t as { name?: unknown } | null)?.name))
      .filter((n): n is string => typeof n === 'string');
    return new Set(names);
  }
  if (tags && typeof tags === 'object') return new Set(Object.keys(tags));
  return undefined;
}

/** Output names a vision instrument's config declares (`outputs = [{ name = … }]`), if any. */
function declaredOutputs(instrument: InstrumentLike): Set<string> | undefined {
  const outputs = (instrument.config as { outputs?: unknown } | undefined)?.outputs;
  if (!Array.isArray(outputs) || outputs.length === 0) return undefined;
  return new Set(
    outputs
      .map((o) => (o as { name?: unknown } | null)?.name)
      .filter((n): n is string => typeof n === 'string'),
  );
}

/**
 * Cross-checks `[[lines]]` against the instruments: the PLC and vision ids exist, every tag is
 * one the PLC declares, every vision output one the camera declares, shifts do not overlap and
 * breaks lie inside their shift. Runs only on entries the schema accepted in shape.
 */
export function lineIssues(lines: unknown, instruments: readonly unknown[]): ConfigIssue[] {
  if (!Array.isArray(lines)) return [];
  const byId = new Map<string, InstrumentLike>();
  for (const entry of instruments) {
    const id = (entry as InstrumentLike | null)?.id;
    if (typeof id === 'string') byId.set(id, entry as InstrumentLike);
  }
  const issues: ConfigIssue[] = [];
  const lineIds = new Map<string, number>();
  lines.forEach((raw, l) => {
    if (typeof raw !== 'object' || raw === null) return;
    const line = raw as Partial<LineConfig>;
    const at = (...rest: (string | number)[]) => ['lines', l, ...rest];
    if (typeof line.id === 'string') {
      const first = lineIds.get(line.id);
      if (first !== undefined)
        issues.push({ path: at('id'), message: `duplicate line id "${line.id}" (also lines[${first}])` });
      else lineIds.set(line.id, l);
    }
    if (typeof line.plc === 'string') {
      const plc = byId.get(line.plc);
      if (!plc) issues.push({ path: at('plc'), message: `no instrument with id "${line.plc}"` });
      const tags = plc ? declaredTags(plc) : undefined;
      if (tags) {
        const check = (path: (string | number)[], tag: unknown) => {
          if (typeof tag === 'string' && !tags.has(tag))
            issues.push({ path, message: `tag "${tag}" is not in the tags of instrument "${line.plc}"` });
        };
        check(at('part_event'), line.part_event);
        check(at('state_tag'), line.state_tag);
        check(at('result_tag'), line.result_tag);
        check(at('cycle_time_tag'), line.cycle_time_tag);
        check(at('counter_tag'), line.counter_tag);
        check(at('alarm_tag'), line.alarm_tag);
        check(at('run_tag'), line.run_tag);
        check(at('reset_tag'), line.reset_tag);
        check(at('emergency_stop_tag'), line.emergency_stop_tag);
        for (const [field, tag] of Object.entries(line.part_fields ?? {}))
          check(at('part_fields', field), tag);
      }
    }
    const stations = Array.isArray(line.stations) ? line.stations : [];
    const stationIds = new Set<string>();
    stations.forEach((station, s) => {
      if (typeof station !== 'object' || station === null) return;
      if (typeof station.id === 'string') {
        if (stationIds.has(station.id))
          issues.push({ path: at('stations', s, 'id'), message: `duplicate station id "${station.id}"` });
        stationIds.add(station.id);
      }
      if (typeof station.vision !== 'string') return;
      const vision = byId.get(station.vision);
      if (!vision) {
        issues.push({
          path: at('stations', s, 'vision'),
          message: `no instrument with id "${station.vision}"`,
        });
        return;
      }
      const outputs = declaredOutputs(vision);
      if (!outputs) return;
      const check = (path: (string | number)[], name: unknown) => {
        if (typeof name === 'string' && !outputs.has(name))
          issues.push({
            path,
            message: `output "${name}" is not in the outputs of instrument "${station.vision}"`,
          });
      };
      for (const [cls, output] of Object.entries(station.defect_classes ?? {}))
        check(at('stations', s, 'defect_classes', cls), output);
      check(at('stations', s, 'judgement_output'), station.judgement_output);
      for (const name of Object.keys(station.measures ?? {}))
        check(at('stations', s, 'measures', name), name);
    });
    const shifts = Array.isArray(line.shifts) ? line.shifts : [];
    const wellFormed = (t: unknown) => typeof t === 'string' && /^([01][0-9]|2[0-3]):[0-5][0-9]$/.test(t);
    const names = new Set<string>();
    shifts.forEach((shift, a) => {
      if (typeof shift?.name === 'string') {
        if (names.has(shift.name))
          issues.push({ path: at('shifts', a, 'name'), message: `duplicate shift name "${shift.name}"` });
        names.add(shift.name);
      }
      if (!wellFormed(shift?.start) || !wellFormed(shift?.end)) return;
      if (shift.start === shift.end)
        issues.push({ path: at('shifts', a), message: 'a shift cannot start and end at the same time' });
      const span = shiftSpan(shift);
      (Array.isArray(shift.breaks) ? shift.breaks : []).forEach((range, b) => {
        if (typeof range !== 'string' || !/^\d\d:\d\d-\d\d:\d\d$/.test(range)) return;
        const brk = breakSpan(shift, range);
        if (brk.start < span.start || brk.end > span.end)
          issues.push({
            path: at('shifts', a, 'breaks', b),
            message: `break ${range} is not inside shift ${shift.name} (${shift.start}-${shift.end})`,
          });
      });
      for (let other = 0; other < a; other++) {
        const o = shifts[other];
        if (!o || !wellFormed(o.start) || !wellFormed(o.end)) continue;
        if (shiftsOverlap(o, shift))
          issues.push({
            path: at('shifts', a),
            message: `shift ${shift.name} (${shift.start}-${shift.end}) overlaps shift ${o.name} (${o.start}-${o.end})`,
          });
      }
    });
  });
  return issues;
}
