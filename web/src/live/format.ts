import type { SignalValue } from '../api/types.ts';

/** A signal value as text: the instrument's precision when it states one, else a readable number. */
export function formatValue(value: SignalValue | null | undefined, precision?: number): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'string') return value;
  if (typeof value === 'object') return formatArray(value, precision);
  if (!Number.isFinite(value)) return String(value);
  if (precision !== undefined && Math.abs(value) < 1e9) return value.toFixed(precision);
  return formatNumber(value);
}

/** The first few elements of an array value and how many there are: `[1.2, 3.4, 5.6, … 1024 values]`. */
export function formatArray(values: readonly number[], precision?: number): string {
  const shown = values.slice(0, 6).map((v) => formatValue(v, precision));
  return values.length > shown.length
    ? `[${shown.join(', ')}, … ${values.length} values]`
    : `[${shown.join(', ')}]`;
}

export function formatNumber(value: number): string {
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs < 1e-3 || abs >= 1e7) return value.toExponential(3);
  return String(Number(value.toPrecision(6)));
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '—';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  if (h > 0) return `${h} h ${m} min`;
  if (m > 0) return `${m} min ${rest} s`;
  return `${rest} s`;
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

/** Local date and time of an epoch (seconds or milliseconds) or ISO string. */
export function formatTime(time: number | string | null | undefined): string {
  if (time === null || time === undefined || time === '') return '—';
  const ms = typeof time === 'number' ? (time < 1e11 ? time * 1000 : time) : Date.parse(time);
  if (!Number.isFinite(ms)) return String(time);
  return new Date(ms).toLocaleString(undefined, { hour12: false });
}
