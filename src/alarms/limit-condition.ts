/**
 * EPICS-style limit checking (the record fields HIHI, HIGH, LOW, LOLO and HYST): limits are
 * checked in the order HIHI, LOLO, HIGH, LOW; HIHI/LOLO are major, HIGH/LOW minor. A value must
 * cross back past a limit by the hysteresis before the condition drops to a lower level, so a
 * value hovering on a limit does not chatter.
 */
export type Condition = 'NORMAL' | 'HIHI' | 'HIGH' | 'LOW' | 'LOLO';

export interface Limits {
  hihi?: number;
  high?: number;
  low?: number;
  lolo?: number;
  hysteresis: number;
}

export function severityOf(c: Condition): 'major' | 'minor' | 'none' {
  return c === 'HIHI' || c === 'LOLO' ? 'major' : c === 'HIGH' || c === 'LOW' ? 'minor' : 'none';
}

function raw(l: Limits, v: number): Condition {
  if (l.hihi !== undefined && v >= l.hihi) return 'HIHI';
  if (l.lolo !== undefined && v <= l.lolo) return 'LOLO';
  if (l.high !== undefined && v >= l.high) return 'HIGH';
  if (l.low !== undefined && v <= l.low) return 'LOW';
  return 'NORMAL';
}

/** Whether `v` still counts as being in `c` given the hysteresis band. */
function holds(l: Limits, c: Condition, v: number): boolean {
  const h = l.hysteresis;
  switch (c) {
    case 'HIHI':
      return l.hihi !== undefined && v > l.hihi - h;
    case 'HIGH':
      return l.high !== undefined && v > l.high - h;
    case 'LOW':
      return l.low !== undefined && v < l.low + h;
    case 'LOLO':
      return l.lolo !== undefined && v < l.lolo + h;
    case 'NORMAL':
      return true;
  }
}

export function evaluate(l: Limits, value: number, current: Condition): Condition {
  const next = raw(l, value);
  if (next === current || current === 'NORMAL') return next;
  // Escalation (or a jump to the other side) takes effect at once; de-escalation waits for the deadband.
  const rank = (c: Condition) => (severityOf(c) === 'major' ? 2 : severityOf(c) === 'minor' ? 1 : 0);
  const sameSide = (a: Condition, b: Condition) =>
    (a.startsWith('H') && b.startsWith('H')) || (a.startsWith('L') && b.startsWith('L'));
  if (next !== 'NORMAL' && (rank(next) > rank(current) || !sameSide(next, current))) return next;
  if (holds(l, current, value)) return current;
  return next;
}
