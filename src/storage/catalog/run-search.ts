import type { SQLInputValue } from 'node:sqlite';
import { BenchtopError } from '../../core/errors.ts';
import { RUN_STATUSES, type RunStatus } from './run-record.ts';

export type MetadataValue = string | number | boolean | null;

export interface RunSearch {
  /** Runs started at or after this time (seconds since the epoch). */
  since?: number;
  /** Runs started before this time (seconds since the epoch). */
  until?: number;
  /** Exact plan name. */
  plan?: string;
  status?: RunStatus | RunStatus[];
  /**
   * Metadata equality, typed: `{sample: 'Si-42'}` does not match the number 42. A dotted key
   * reaches into nested objects: `{'sample.name': 'Si'}`.
   */
  metadata?: Record<string, MetadataValue>;
  /** Case-insensitive substring of the uid, plan name, reason or metadata. */
  text?: string;
  /** Default 100, at most 1000. */
  limit?: number;
  offset?: number;
}

export const DEFAULT_SEARCH_LIMIT = 100;
export const MAX_SEARCH_LIMIT = 1000;

/** A WHERE clause and its parameters; values are always bound, never spliced into the SQL. */
export interface SqlFilter {
  where: string;
  params: SQLInputValue[];
}

export function runSearchFilter(search: RunSearch): SqlFilter {
  const clauses: string[] = [];
  const params: SQLInputValue[] = [];
  if (search.since !== undefined) {
    clauses.push('start_time >= ?');
    params.push(finite('since', search.since));
  }
  if (search.until !== undefined) {
    clauses.push('start_time < ?');
    params.push(finite('until', search.until));
  }
  if (search.plan !== undefined) {
    clauses.push('plan_name = ?');
    params.push(search.plan);
  }
  if (search.status !== undefined) {
    const statuses = Array.isArray(search.status) ? search.status : [search.status];
    for (const status of statuses) {
      if (!RUN_STATUSES.includes(status)) {
        throw new BenchtopError(
          'VALIDATION_FAILED',
          `status must be one of ${RUN_STATUSES.join(', ')}; got ${JSON.stringify(status)}`,
          { field: 'status', value: status },
        );
      }
    }
    if (statuses.length > 0) {
      clauses.push(`status IN (${statuses.map(() => '?').join(', ')})`);
      params.push(...statuses);
    }
  }
  for (const [key, value] of Object.entries(search.metadata ?? {})) {
    const path = metadataPath(key);
    if (value === null || typeof value === 'boolean') {
      clauses.push('json_type(metadata, ?) = ?');
      params.push(path, value === null ? 'null' : String(value));
    } else {
      // json_extract returns TEXT for strings and INTEGER/REAL for numbers, so a bound string
      // never equals a stored number: the match is typed.
      clauses.push('json_extract(metadata, ?) = ?');
      params.push(path, value);
    }
  }
  if (search.text !== undefined && search.text !== '') {
    // instr, not LIKE, so `%` and `_` in the text are plain characters.
    const needle = search.text.toLowerCase();
    clauses.push(
      '(instr(lower(uid), ?) > 0 OR instr(lower(plan_name), ?) > 0 OR ' +
        "instr(lower(coalesce(reason, '')), ?) > 0 OR instr(lower(metadata), ?) > 0)",
    );
    params.push(needle, needle, needle, needle);
  }
  return { where: clauses.length > 0 ? `WHERE ${clauses.join(' AND ')}` : '', params };
}

export function pageOf(search: RunSearch): { limit: number; offset: number } {
  const limit = search.limit ?? DEFAULT_SEARCH_LIMIT;
  const offset = search.offset ?? 0;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_SEARCH_LIMIT) {
    throw new BenchtopError(
      'VALIDATION_FAILED',
      `limit must be an integer 1–${MAX_SEARCH_LIMIT}; got ${limit}`,
      {
        field: 'limit',
        value: limit,
      },
    );
  }
  if (!Number.isInteger(offset) || offset < 0) {
    throw new BenchtopError('VALIDATION_FAILED', `offset must be an integer ≥ 0; got ${offset}`, {
      field: 'offset',
      value: offset,
    });
  }
  return { limit, offset };
}

/** `sample.name` → `$."sample"."name"`; quoting keeps keys with spaces or `$` literal. */
function metadataPath(key: string): string {
  const segments = key.split('.');
  if (segments.some((s) => s === '' || s.includes('"'))) {
    throw new BenchtopError(
      'VALIDATION_FAILED',
      `metadata key ${JSON.stringify(key)} is not searchable: use non-empty dot-separated names without quotes`,
      { field: 'metadata', key },
    );
  }
  return `$${segments.map((s) => `."${s}"`).join('')}`;
}

function finite(field: string, value: number): number {
  if (!Number.isFinite(value)) {
    throw new BenchtopError(
      'VALIDATION_FAILED',
      `${field} must be a finite number of seconds; got ${value}`,
      {
        field,
        value,
      },
    );
  }
  return value;
}
