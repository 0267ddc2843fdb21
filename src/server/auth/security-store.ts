import { createHash, randomBytes } from 'node:crypto';
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
];

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

function assertRole(role: string): Role {
  if (!(Roles as readonly string[]).includes(role)) {
    throw new BenchtopError('VALIDATION_FAILED', `unknown role "${role}"; roles are ${Roles.join(', ')}`);
  }
  return role as Role;
}

/** Keys, users, refresh tokens and the audit log, in `<output_dir>/security.sqlite`. */
export class SecurityStore {
  readonly db: DatabaseSync;

  static inOutputDir(dir: string): SecurityStore {
    return new SecurityStore(join(dir, SECURITY_FILE));
  }

  constructor(path: string) {
    this.db = openSqliteDatabase(path, migrations);
  }

  close(): void {
    this.db.close();
  }

  /** Creates a key and returns its secret once: only its hash is stored. */
  createKey(name: string, role: string): { id: string; key: string; role: Role } {
    const checked = assertRole(role);
    const id = randomBytes(6).toString('hex');
    const key = `btk_${id}_${randomBytes(24).toString('base64url')}`;
    this.db
      .prepare('INSERT INTO api_keys (id, name, role, hash, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(id, name, checked, sha256(key), new Date().toISOString());
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
    return (
      this.db
        .prepare('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL')
        .run(new Date().toISOString(), id).changes > 0
    );
  }

  /** The key's name and role, or null if unknown or revoked. */
  checkKey(key: string): { name: string; role: Role } | null {
    const row = this.db
      .prepare('SELECT id, name, role FROM api_keys WHERE hash = ? AND revoked_at IS NULL')
      .get(sha256(key)) as { id: string; name: string; role: Role } | undefined;
    if (!row) return null;
    this.db
      .prepare('UPDATE api_keys SET last_used_at = ? WHERE id = ?')
      .run(new Date().toISOString(), row.id);
    return { name: row.name, role: row.role };
  }

  async addUser(name: string, role: string, password: string): Promise<void> {
    const checked = assertRole(role);
    if (password.length < 8)
      throw new BenchtopError('VALIDATION_FAILED', 'passwords need at least 8 characters');
    const hash = await hashPassword(password);
    try {
      this.db
        .prepare('INSERT INTO users (name, role, password, created_at) VALUES (?, ?, ?, ?)')
        .run(name, checked, hash, new Date().toISOString());
    } catch {
      throw new BenchtopError('VALIDATION_FAILED', `user "${name}" already exists`);
    }
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
    return this.db.prepare('DELETE FROM users WHERE name = ?').run(name).changes > 0;
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
  consumeRefreshToken(token: string, nowS: number): { name: string; role: Role } | null {
    const row = this.db
      .prepare(
        `UPDATE refresh_tokens SET revoked = 1 WHERE hash = ? AND revoked = 0 AND expires_at > ?
         RETURNING user`,
      )
      .get(sha256(token), nowS) as { user: string } | undefined;
    if (!row) return null;
    const user = this.db
      .prepare('SELECT name, role FROM users WHERE name = ? AND disabled = 0')
      .get(row.user) as { name: string; role: Role } | undefined;
    return user ?? null;
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

  auditLog(options: { limit?: number; since?: string; actor?: string; action?: string } = {}): AuditEntry[] {
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
        `SELECT * FROM audit ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`,
      )
      .all(...args, Math.min(options.limit ?? 100, 10_000)) as unknown as (AuditEntry & {
      details: string;
    })[];
    return rows.map((r) => ({ ...r, details: JSON.parse(r.details) as unknown }));
  }

  deleteAuditBefore(time: string): number {
    return Number(this.db.prepare('DELETE FROM audit WHERE time < ?').run(time).changes);
  }
}
