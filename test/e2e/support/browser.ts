import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

/** Debian's Chromium (apt-get install chromium); the tests never download a browser. */
export const CHROMIUM = '/usr/bin/chromium';

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A headless Chromium with a fresh profile directory, removed again by `close`. */
export async function launchBrowser(): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'benchtop-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1280, height: 800 },
    acceptDownloads: true,
  });
  // Conditions are awaited with auto-waiting locators; this bounds each wait on a busy 2-core machine.
  context.setDefaultTimeout(45_000);
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Console errors and uncaught exceptions of a page. Each test takes them at its end, naming the
 * errors it caused on purpose (a refused request logs "Failed to load resource: … 409").
 */
export class ConsoleWatch {
  private errors: string[] = [];

  constructor(page: Page) {
    page.on('console', (m) => {
      if (m.type() === 'error') this.errors.push(m.text());
    });
    page.on('pageerror', (e) => this.errors.push(`uncaught: ${e.message}`));
  }

  /** The errors since the last `take`, without clearing them (for a failure's explanation). */
  peek(): string[] {
    return [...this.errors];
  }

  /** The errors since the last call that match none of `expected`; clears the list. */
  take(expected: RegExp[] = []): string[] {
    const unexpected = this.errors.filter((e) => !expected.some((re) => re.test(e)));
    this.errors = [];
    return unexpected;
  }
}

/**
 * The page's last requests that change something (every method but GET), with their body, status
 * and time taken, or "pending": a failing test says whether its write went out, with what value,
 * and what the server answered.
 */
export class WriteLog {
  private readonly entries: { text: string; started: number; outcome: string }[] = [];

  constructor(page: Page, size = 10) {
    const byRequest = new Map<object, { text: string; started: number; outcome: string }>();
    page.on('request', (r) => {
      if (r.method() === 'GET') return;
      const body = r.postData();
      const entry = {
        text: `${r.method()} ${new URL(r.url()).pathname}${body ? ` ${body.slice(0, 200)}` : ''}`,
        started: Date.now(),
        outcome: 'pending',
      };
      byRequest.set(r, entry);
      this.entries.push(entry);
      if (this.entries.length > size) this.entries.shift();
    });
    const settle = (r: object, outcome: string) => {
      const entry = byRequest.get(r);
      if (!entry) return;
      byRequest.delete(r);
      entry.outcome = `${outcome} after ${Date.now() - entry.started} ms`;
    };
    page.on('requestfinished', async (r) => {
      if (!byRequest.has(r)) return;
      const response = await r.response().catch(() => null);
      settle(r, response ? String(response.status()) : 'no response');
    });
    page.on('requestfailed', (r) => settle(r, `failed (${r.failure()?.errorText ?? 'unknown'})`));
  }

  /** Oldest first, each with how long ago it started. */
  recent(): string[] {
    const now = Date.now();
    return this.entries.map((e) => `${e.text} → ${e.outcome} (started ${now - e.started} ms ago)`);
  }
}
