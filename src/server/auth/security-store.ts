import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { BenchtopError } from '../../core/errors.ts';
import { type Migration, openSqliteDatabase } from '../../storage/sqlite-database.ts';
import { hashPassword, verifyPassword } from './password.ts';
import { type Role, Roles } from './roles.ts';

export const SECURITY_FILE = 'security.sqlite';

const migrations: Migration[] = [
  {
    version: 1,
    description: 'api keys, users, refresh tokens, audit log',
    sql: `
      CREATE TABLE api_keys (
        id TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL, hash TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL, last_used_at TEXT, revoked_at TEXT
      );
      CREATE TABLE users (
        name TEXT PRIMARY KEY, role TEXT NOT NULL, password TEXT NOT NULL,
        created_at TEXT NOT NULL, disabled INTEGER NOT NULL DEFAULT 0
      );
      CREATE TABLE refresh_tokens (
        hash TEXT PRIMARY KEY, user TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
        expires_at INTEGER NOT NULL, revoked INTEGER NOT NULL DEFAULT 0
      );
      CREATE TABLE audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT, time TEXT NOT NULL, actor TEXT NOT NULL, role TEXT NOT NULL,
        action TEXT NOT NULL, target TEXT, details TEXT, result TEXT NOT NULL, error TEXT
      );
      CREATE INDEX audit_time ON audit(time);
    `,
  },
  {
    version: 2,
    description: 'per-user session stamp: re-creating a user or changing the password ends old sessions',
    sql: `ALTER TABLE users ADD COLUMN session TEXT NOT NULL DEFAULT '';`,
  },
];

/** Keys and users looked up by every request; dropped whenever the database changes. */
const CACHE_LIMIT = 1000;
/** last_used_at is written at most this often per key, not on every request. */
const LAST_USED_EVERY_MS = 60_000;

/** API keys are long random strings: a fast hash is enough (nothing to brute-force). Passwords use scrypt. */
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

export interface ApiKeyInfo {
  id: string;
  name: string;
  role: Role;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

/** A user who may hold sessions: `session` is the stamp their tokens must carry. */
export interface ActiveUser {
  name: string;
  role: Role;
  session: string;
}

export interface ActiveKey {
  id: string;
  name: string;
  role: Role;
}

export interface AuditEntry {
  id?: number;
  time: string;
  actor: string;
  role: string;
  action: string;
  target: string | null;
  details: unknown;
  result: 'ok' | 'error' | 'denied';
  error: string | null;
}

/** Most audit entries one query returns. */
export const AUDIT_PAGE_MAX = 10_000;

const clampInt = (n: number, min: number, max: number) =>
  Number.isFinite(n) ? Math.min(max, Math.max(min, Math.trunc(n))) : min;

const newSession = () => randomBytes(12).toString('base64url');

function assertRole(role: string): Role {
  if (!(Roles as readonly string[]).includes(role)) {
    throw new BenchtopError('VALIDATION_FAILED', `unknown role "${role}"; roles are ${Roles.join(', ')}`);
  }
  return role as Role;
}

/**
 * Keys, users, refresh tokens and the audit log, in `<output_dir>/security.sqlite` (mode 0600:
 * it holds password hashes). Every request checks its key or user here, so lookups are cached;
 * the cache is dropped on every change, made by this process or (seen through SQLite's
 * data_version) by another one such as `benchtop users remove`, and listeners hear of it so open
 * WebSockets are checked again.
 */
export class SecurityStore {
  readonly db: DatabaseSync;
  private readonly keys = new Map<string, ActiveKey | null>();
  private readonly users = new Map<string, ActiveUser | null>();
  private readonly lastUsedWritten = new Map<string, number>();
  private readonly listeners = new Set<() => void>();
  private dataVersion: number;

  static inOutputDir(dir: string): SecurityStore {
    return new SecurityStore(join(dir, SECURITY_FILE));
  }

  constructor(path: string) {
    if (path !== ':memory:') {
      // Created private before SQLite opens it; its -wal and -shm files copy this mode.
      try {
        closeSync(openSync(path, 'a', 0o600));
      } catch {
        // The directory may not exist yet: openSqliteDatabase creates it and reports real errors.
      }
    }
    this.db = openSqliteDatabase(path, migrations);
    if (path !== ':memory:') chmodSync(path, 0o600);
    this.dataVersion = this.readDataVersion();
  }

  close(): void {
    this.listeners.clear();
    this.db.close();
  }

  /** Calls `listener` after any change to keys or users; returns the unsubscribe. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Notices changes another process committed (the CLI); true if there were any. */
  pollExternalChanges(): boolean {
    const version = this.readDataVersion();
    if (version === this.dataVersion) return false;
    this.dataVersion = version;
    this.changed();
    return true;
  }

  private readDataVersion(): number {
    return (this.db.prepare('PRAGMA data_version').get() as { data_version: number }).data_version;
  }

  private changed(): void {
    this.keys.clear();
    this.users.clear();
    for (const listener of [...this.listeners]) listener();
  }

  private remember<T>(cache: Map<string, T>, key: string, value: T): T {
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(key, value);
    return value;
  }

  /** Creates a key and returns its secret once: only its hash is stored. */
  createKey(name: string, role: string): { id: string; key: string; role: Role } {
    const checked = assertRole(role);
    const id = randomBytes(6).toString('hex');
    const key = `btk_${id}_${randomBytes(24).toString('base64url')}`;
    this.db
      .prepare('INSERT INTO api_keys (id, name, role, hash, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(id, name, checked, sha256(key), new Date().toISOString());
    this.changed();
    return { id, key, role: checked };
  }

  listKeys(): ApiKeyInfo[] {
    return this.db
      .prepare(
        'SELECT id, name, role, created_at, last_used_at, revoked_at FROM api_keys ORDER BY created_at',
      )
      .all() as unknown as ApiKeyInfo[];
  }

  revokeKey(id: string): boolean {
    const revoked =
      this.db
        .prepare('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL')
        .run(new Date().toISOString(), id).changes > 0;
    if (revoked) this.changed();
    return revoked;
  }

  /** The key's name and role, or null if unknown or revoked. */
  checkKey(key: string): { name: string; role: Role } | null {
    const found = this.findKey(key);
    return found ? { name: found.name, role: found.role } : null;
  }

  /** The key's id, name and role, or null if unknown or revoked (cached; last use recorded). */
  findKey(key: string): ActiveKey | null {
    this.pollExternalChanges();
    const hash = sha256(key);
    let found = this.keys.get(hash);
    if (found === undefined) {
      const row = this.db
        .prepare('SELECT id, name, role FROM api_keys WHERE hash = ? AND revoked_at IS NULL')
        .get(hash) as ActiveKey | undefined;
      found = this.remember(this.keys, hash, row ? { id: row.id, name: row.name, role: row.role } : null);
    }
    if (found) this.touchKey(found.id);
    return found;
  }

  /** True while the key with this id exists and is not revoked. */
  keyActive(id: string): boolean {
    return (
      this.db.prepare('SELECT 1 AS ok FROM api_keys WHERE id = ? AND revoked_at IS NULL').get(id) !==
      undefined
    );
  }

  private touchKey(id: string): void {
    const now = Date.now();
    if (now - (this.lastUsedWritten.get(id) ?? Number.NEGATIVE_INFINITY) < LAST_USED_EVERY_MS) return;
    if (this.lastUsedWritten.size >= CACHE_LIMIT) this.lastUsedWritten.clear();
    this.lastUsedWritten.set(id, now);
    // Writes of this connection leave data_version alone: this is not seen as an external change.
    this.db.prepare('UPDATE api_keys SET last_used_at = ? WHERE id = ?').run(new Date(now).toISOString(), id);
  }

  /** The user as they are now (role, session stamp), or null if removed or disabled. */
  activeUser(name: string): ActiveUser | null {
    this.pollExternalChanges();
    const cached = this.users.get(name);
    if (cached !== undefined) return cached;
    const row = this.db
      .prepare('SELECT name, role, session FROM users WHERE name = ? AND disabled = 0')
      .get(name) as ActiveUser | undefined;
    return this.remember(
      this.users,
      name,
      row ? { name: row.name, role: row.role, session: row.session } : null,
    );
  }

  async addUser(name: string, role: string, password: string): Promise<void> {
    const checked = assertRole(role);
    if (password.length < 8)
      throw new BenchtopError('VALIDATION_FAILED', 'passwords need at least 8 characters');
    const hash = await hashPassword(password);
    try {
      this.db
        .prepare('INSERT INTO users (name, role, password, created_at, session) VALUES (?, ?, ?, ?, ?)')
        .run(name, checked, hash, new Date().toISOString(), newSession());
    } catch {
      throw new BenchtopError('VALIDATION_FAILED', `user "${name}" already exists`);
    }
    this.changed();
  }

  /**
   * Sets a new password and ends every session of the user: refresh tokens are revoked and
   * access tokens, which carry the old session stamp, are refused from now on. False if no such user.
   */
  async setPassword(name: string, password: string): Promise<boolean> {
    if (password.length < 8)
      throw new BenchtopError('VALIDATION_FAILED', 'passwords need at least 8 characters');
    const hash = await hashPassword(password);
    const updated =
      this.db
        .prepare('UPDATE users SET password = ?, session = ? WHERE name = ?')
        .run(hash, newSession(), name).changes > 0;
    if (!updated) return false;
    this.db.prepare('UPDATE refresh_tokens SET revoked = 1 WHERE user = ?').run(name);
    this.changed();
    return true;
  }

  listUsers(): { name: string; role: Role; created_at: string; disabled: number }[] {
    return this.db
      .prepare('SELECT name, role, created_at, disabled FROM users ORDER BY name')
      .all() as unknown as {
      name: string;
      role: Role;
      created_at: string;
      disabled: number;
    }[];
  }

  removeUser(name: string): boolean {
    const removed = this.db.prepare('DELETE FROM users WHERE name = ?').run(name).changes > 0;
    if (removed) this.changed();
    return removed;
  }

  async checkPassword(name: string, password: string): Promise<{ name: string; role: Role } | null> {
    const row = this.db
      .prepare('SELECT name, role, password, disabled FROM users WHERE name = ?')
      .get(name) as { name: string; role: Role; password: string; disabled: number } | undefined;
    if (!row || row.disabled) {
      // Spend the same time as a real check so user names cannot be probed by timing.
      await verifyPassword(
        password,
        'scrypt$32768$8$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      );
      return null;
    }
    return (await verifyPassword(password, row.password)) ? { name: row.name, role: row.role } : null;
  }

  issueRefreshToken(user: string, expiresAtS: number): string {
    const token = randomBytes(32).toString('base64url');
    this.db
      .prepare('INSERT INTO refresh_tokens (hash, user, expires_at) VALUES (?, ?, ?)')
      .run(sha256(token), user, expiresAtS);
    return token;
  }

  /** Uses up a refresh token (rotation): returns its user, or null if unknown, used or expired. */
  consumeRefreshToken(token: string, nowS: number): ActiveUser | null {
    const row = this.db
      .prepare(
        `UPDATE refresh_tokens SET revoked = 1 WHERE hash = ? AND revoked = 0 AND expires_at > ?
         RETURNING user`,
      )
      .get(sha256(token), nowS) as { user: string } | undefined;
    if (!row) return null;
    this.users.delete(row.user);
    return this.activeUser(row.user);
  }

  revokeRefreshToken(token: string): void {
    this.db.prepare('UPDATE refresh_tokens SET revoked = 1 WHERE hash = ?').run(sha256(token));
  }

  audit(entry: Omit<AuditEntry, 'id'>): void {
    this.db
      .prepare(
        'INSERT INTO audit (time, actor, role, action, target, details, result, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
        entry.time,
        entry.actor,
        entry.role,
        entry.action,
        entry.target,
        JSON.stringify(entry.details ?? null),
        entry.result,
        entry.error,
      );
  }

  /** Newest first; `limit` is clamped to 1..AUDIT_PAGE_MAX whatever the caller passes. */
  auditLog(
    options: { limit?: number; offset?: number; since?: string; actor?: string; action?: string } = {},
  ): AuditEntry[] {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (options.since) {
      where.push('time >= ?');
      args.push(options.since);
    }
    if (options.actor) {
      where.push('actor = ?');
      args.push(options.actor);
    }
    if (options.action) {
      where.push('action = ?');
      args.push(options.action);
    }
    const rows = this.db
      .prepare(
        `SELECT * FROM audit ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ? OFFSET ?`,
      )
      .all(
        ...args,
        clampInt(options.limit ?? 100, 1, AUDIT_PAGE_MAX),
        clampInt(options.offset ?? 0, 0, 2 ** 31),
      ) as unknown as (AuditEntry & {
      details: string;
    })[];
    return rows.map((r) => ({ ...r, details: JSON.parse(r.details) as unknown }));
  }

  deleteAuditBefore(time: string): number {
    return Number(this.db.prepare('DELETE FROM audit WHERE time < ?').run(time).changes);
  }
}
