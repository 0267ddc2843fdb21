import type { Role, Tokens } from './types.ts';

/** What /auth/login and /auth/refresh return. */
export type TokenReply = Tokens;

interface StoredTokens {
  access: string;
  refresh: string;
  /** Epoch ms when the access token expires. */
  expiresAt: number;
  user: string;
  role: Role;
}

const STORAGE_KEY = 'benchtop.session';
/** Refresh this long before the access token expires, so requests never race its expiry. */
const REFRESH_MARGIN_MS = 60_000;

/**
 * The logged-in user's tokens. Kept in sessionStorage (per tab, gone when the tab closes) so a
 * reload does not log out; the access token is renewed with the refresh token before it expires.
 */
export class Session {
  private tokens: StoredTokens | null;
  private refreshing: Promise<boolean> | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private readonly listeners = new Set<() => void>();

  constructor() {
    this.tokens = load();
    this.schedule();
  }

  get accessToken(): string | null {
    return this.tokens?.access ?? null;
  }

  get hasTokens(): boolean {
    return this.tokens !== null;
  }

  /** The access token has expired (or is about to): renew it before using it. */
  get expiring(): boolean {
    return this.tokens !== null && this.tokens.expiresAt - Date.now() < REFRESH_MARGIN_MS / 2;
  }

  /** Called when tokens change (login, refresh, logout): the stream reconnects with the new token. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  store(reply: TokenReply): void {
    this.tokens = {
      access: reply.access_token,
      refresh: reply.refresh_token,
      expiresAt: Date.now() + reply.expires_in * 1000,
      user: reply.user,
      role: reply.role,
    };
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify(this.tokens));
    this.schedule();
    this.notify();
  }

  clear(): void {
    this.tokens = null;
    sessionStorage.removeItem(STORAGE_KEY);
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.notify();
  }

  get refreshToken(): string | null {
    return this.tokens?.refresh ?? null;
  }

  /** Exchanges the refresh token for new tokens (one exchange at a time); false when it is no longer valid. */
  refresh(): Promise<boolean> {
    if (!this.tokens) return Promise.resolve(false);
    this.refreshing ??= this.exchange(this.tokens.refresh).finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private async exchange(refreshToken: string): Promise<boolean> {
    try {
      const response = await fetch('/api/v1/auth/refresh', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ refresh_token: refreshToken }),
      });
      if (!response.ok) {
        // A refresh token is single-use: a rejected one means logging in again.
        if (response.status === 401) this.clear();
        return false;
      }
      this.store((await response.json()) as TokenReply);
      return true;
    } catch {
      return false;
    }
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (!this.tokens) return;
    const delay = Math.max(1000, this.tokens.expiresAt - Date.now() - REFRESH_MARGIN_MS);
    this.timer = setTimeout(() => void this.refresh(), delay);
  }

  private notify(): void {
    for (const l of this.listeners) l();
  }
}

function load(): StoredTokens | null {
  try {
    const text = sessionStorage.getItem(STORAGE_KEY);
    return text ? (JSON.parse(text) as StoredTokens) : null;
  } catch {
    return null;
  }
}

export const session = new Session();
