import type { RunStart } from '../../core/documents.ts';

/** Keeps letters, digits, `-` and `_`; anything else (path separators, spaces) becomes `-`. */
export function safeFileName(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9_-]/g, '-');
  return cleaned === '' ? 'unnamed' : cleaned;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/**
 * `<YYYYmmdd-HHMMSS>_<plan>_<uid8>`, the time in UTC so names sort in run order and never
 * repeat or jump at a daylight-saving change.
 */
export function runDirectoryName(start: Pick<RunStart, 'time' | 'plan_name' | 'uid'>): string {
  const t = new Date(start.time * 1000);
  const stamp =
    `${t.getUTCFullYear()}${pad(t.getUTCMonth() + 1)}${pad(t.getUTCDate())}-` +
    `${pad(t.getUTCHours())}${pad(t.getUTCMinutes())}${pad(t.getUTCSeconds())}`;
  const uid8 = safeFileName(start.uid.replace(/-/g, '').slice(0, 8));
  return `${stamp}_${safeFileName(start.plan_name)}_${uid8}`;
}
