/**
 * Roles, weakest first: each includes the rights of those before it. `maintenance` (the
 * vision-line guide's fourth role, listed below operator) reads everything a viewer does and is
 * named in the audit log; `supervisor` may reset the line and write PLC tags, which operators may not.
 */
export const Roles = ['viewer', 'maintenance', 'operator', 'supervisor', 'admin'] as const;
export type Role = (typeof Roles)[number];

export function roleAtLeast(role: Role, needed: Role): boolean {
  return Roles.indexOf(role) >= Roles.indexOf(needed);
}

/** Who is making a request. */
export interface Principal {
  kind: 'key' | 'user' | 'local';
  /** Key name or user name; `local` when authentication is off (loopback only). */
  name: string;
  role: Role;
  /** What the principal is checked against again: the key id, or the user's session stamp. */
  ref?: string;
}
