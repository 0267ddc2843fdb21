/**
 * Conditions on one signal, as recipes write them ("chamber_temperature >= 195"), and whether a
 * reading meets one: shared by the recipe check, the recipe plan and the engine's `read_until`.
 */

export type Comparison = '<' | '<=' | '>' | '>=' | '==' | '!=';
export interface Condition {
  signal: string;
  op: Comparison;
  value: number | boolean;
}

/** `"chamber_temperature >= 195"` → its parts; null when it is not a condition. */
export function parseCondition(text: string): Condition | null {
  const m = /^\s*([A-Za-z][A-Za-z0-9_.-]*)\s*(<=|>=|==|!=|<|>)\s*(\S+)\s*$/.exec(text);
  if (!m) return null;
  const raw = m[3]!;
  const value = raw === 'true' ? true : raw === 'false' ? false : Number(raw);
  if (typeof value === 'number' && !Number.isFinite(value)) return null;
  return { signal: m[1]!, op: m[2] as Comparison, value };
}

export function conditionHolds(condition: Pick<Condition, 'op' | 'value'>, actual: unknown): boolean {
  const { op, value } = condition;
  if (typeof value === 'boolean' || typeof actual === 'boolean') {
    const same = actual === value || (typeof actual === 'number' && actual !== 0) === value;
    return op === '==' ? same : op === '!=' ? !same : false;
  }
  if (typeof actual !== 'number') return false;
  switch (op) {
    case '<':
      return actual < value;
    case '<=':
      return actual <= value;
    case '>':
      return actual > value;
    case '>=':
      return actual >= value;
    case '==':
      return actual === value;
    case '!=':
      return actual !== value;
  }
}
