/**
 * An action result that is a list of records (`{ tags: [{ name, type, dimensions }, …] }`, or a
 * bare array of flat objects) as table columns and rows, so the action form shows it readably
 * instead of as one line of JSON. Anything else is not tabular: null.
 */
export interface ResultTable {
  /** The property that held the list, or null for a bare array. */
  key: string | null;
  columns: string[];
  rows: string[][];
}

type Scalar = string | number | boolean | null;

function isFlatRecord(v: unknown): v is Record<string, Scalar> {
  return (
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    Object.values(v).every((x) => x === null || ['string', 'number', 'boolean'].includes(typeof x))
  );
}

export function resultTable(result: unknown): ResultTable | null {
  let key: string | null = null;
  let list: unknown = result;
  if (isObject(result)) {
    const entries = Object.entries(result);
    if (entries.length !== 1) return null;
    [key, list] = entries[0]!;
  }
  if (!Array.isArray(list) || list.length === 0 || !list.every(isFlatRecord)) return null;
  const columns: string[] = [];
  for (const row of list) for (const c of Object.keys(row)) if (!columns.includes(c)) columns.push(c);
  const rows = list.map((row) =>
    columns.map((c) => (row[c] === undefined || row[c] === null ? '' : String(row[c]))),
  );
  return { key, columns, rows };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
