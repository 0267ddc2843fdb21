import {
  type DataType,
  type Field,
  type RecordBatch,
  type Schema,
  type Timestamp,
  Type,
  type Vector,
} from 'apache-arrow';

/** RFC 4180 line ending. */
export const CRLF = '\r\n';

/** RFC 4180: a field with a comma, quote, CR or LF is quoted, and its quotes doubled. */
export function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** `power [W]` when the field carries units, else the name. */
export function csvHeaderName(field: Field): string {
  const units = field.metadata.get('units');
  return units ? `${field.name} [${units}]` : field.name;
}

export function csvHeader(schema: Schema): string {
  return schema.fields.map((f) => csvField(csvHeaderName(f))).join(',') + CRLF;
}

/** Fields CSV cannot hold (camera pixels): export skips streams that have them. */
export function csvUnsupportedFields(schema: Schema): string[] {
  return schema.fields.filter((f) => f.type.typeId === Type.FixedSizeList).map((f) => f.name);
}

/** Microseconds per tick for TimeUnit SECOND, MILLISECOND, MICROSECOND (NANOSECOND divides). */
const UNIT_PER_MICROSECOND: Record<number, bigint> = { 0: 1_000_000n, 1: 1000n, 2: 1n };

/** ISO 8601 in UTC with microseconds: `2026-03-04T05:06:08.250000Z` (pandas and Excel parse it). */
function isoMicros(raw: bigint, unit: number): string {
  const micros = unit === 3 ? raw / 1000n : raw * UNIT_PER_MICROSECOND[unit]!;
  const ms = micros / 1000n - (micros % 1000n < 0n ? 1n : 0n);
  const sub = micros - ms * 1000n;
  return new Date(Number(ms)).toISOString().replace('Z', `${String(sub).padStart(3, '0')}Z`);
}

type CellFormatter = (row: number) => string;

function formatterFor(vector: Vector, type: DataType): CellFormatter {
  const valid = (row: number) => vector.isValid(row);
  switch (type.typeId) {
    case Type.Timestamp: {
      const values = vector.data[0]!.values as BigInt64Array;
      const { unit } = type as Timestamp;
      return (row) => (valid(row) ? isoMicros(values[row]!, unit) : '');
    }
    case Type.Utf8:
    case Type.LargeUtf8:
      return (row) => (valid(row) ? csvField(vector.get(row) as string) : '');
    case Type.List:
      return (row) =>
        valid(row) ? csvField(JSON.stringify(Array.from(vector.get(row) as Iterable<unknown>))) : '';
    default:
      // numbers (shortest round-trip form), bigints and booleans print as themselves
      return (row) => (valid(row) ? String(vector.get(row)) : '');
  }
}

/** The batch's rows as CSV lines (CRLF-terminated); nulls are empty fields. */
export function csvRows(batch: RecordBatch): string {
  const formatters = batch.schema.fields.map((field, i) => formatterFor(batch.getChildAt(i)!, field.type));
  const lines: string[] = [];
  for (let row = 0; row < batch.numRows; row++) {
    lines.push(formatters.map((format) => format(row)).join(',') + CRLF);
  }
  return lines.join('');
}
