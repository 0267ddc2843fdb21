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

  /** The errors since the last call that match none of `expected`; clears the list. */
  take(expected: RegExp[] = []): string[] {
    const unexpected = this.errors.filter((e) => !expected.some((re) => re.test(e)));
    this.errors = [];
    return unexpected;
  }
}
