/** Fields never written to the audit log. */
const SECRET_FIELDS = new Set([
  'password',
  'new_password',
  'current_password',
  'refresh_token',
  'key',
  'token',
]);

/** Deeper than this, a request body is summarised: the audit log records intent, not payloads. */
export const AUDIT_MAX_DEPTH = 8;
/** Longest array or object kept per level. */
const MAX_ENTRIES = 100;

/**
 * A copy of a request's body or query fit for the audit log: secrets masked, depth and width
 * bounded. Iteration depth is bounded too, so a body nested a million levels deep (well inside
 * the body limit) cannot overflow the stack, here or in the JSON.stringify that follows.
 */
export function scrubForAudit(value: unknown, depth = 0): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (depth >= AUDIT_MAX_DEPTH)
    return Array.isArray(value) ? '[array, nested too deep]' : '[object, nested too deep]';
  if (Array.isArray(value)) {
    const kept = value.slice(0, MAX_ENTRIES).map((v) => scrubForAudit(v, depth + 1));
    if (value.length > MAX_ENTRIES) kept.push(`[${value.length - MAX_ENTRIES} more]`);
    return kept;
  }
  const entries = Object.entries(value);
  const out: Record<string, unknown> = {};
  for (const [k, v] of entries.slice(0, MAX_ENTRIES))
    out[k] = SECRET_FIELDS.has(k) ? '***' : scrubForAudit(v, depth + 1);
  if (entries.length > MAX_ENTRIES) out['…'] = `${entries.length - MAX_ENTRIES} more keys`;
  return out;
}
