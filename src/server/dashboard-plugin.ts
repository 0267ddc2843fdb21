import { existsSync, statSync } from 'node:fs';
import { extname, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { BenchtopError } from '../core/errors.ts';

/** Where `npm run build:web` puts the dashboard. */
export const DASHBOARD_DIST = fileURLToPath(new URL('../../web/dist', import.meta.url));

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Benchtop</title></head>
<body style="font-family: system-ui, sans-serif; margin: 3rem">
<h1>Benchtop is running, but the dashboard is not built</h1>
<p>Build it with <code>npm run build:web</code> (it also runs on <code>npm ci</code>), then reload this page.</p>
<p>The API is available meanwhile: <a href="/api/v1/docs">/api/v1/docs</a>, <a href="/health">/health</a>.</p>
</body></html>`;

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * Serves the built dashboard at `/`. Paths that are not files get index.html, so the app's own
 * routes (/instruments/laser, /runs/…) survive a reload; API, health and metrics paths keep
 * their JSON 404s. The build directory is looked up per request, so building while the server
 * runs needs no restart.
 */
export function dashboardPlugin(options: { root?: string; reservedPrefixes: string[] }) {
  const root = resolve(options.root ?? DASHBOARD_DIST);
  const reserved = options.reservedPrefixes;
  return async (app: FastifyInstance) => {
    await app.register(fastifyStatic, { serve: false });
    app.get(
      '/*',
      // Page loads fetch a dozen assets; they must not eat the API's rate-limit budget.
      // Public: the page must load before anyone can log in. It holds no data; the API it calls is guarded.
      { config: { rateLimit: false, public: true }, schema: { hide: true } },
      async (request, reply) => {
        const notFound = new BenchtopError('NOT_FOUND', `no route ${request.method} ${request.url}`);
        // The path as the router sees it (decoded): `/%61pi/…` is an API path, not a page.
        const wildcard = ((request.params as { '*'?: string })['*'] ?? '').replace(/^\/+/, '');
        const path = `/${wildcard}`;
        // No page or asset has a `%` once decoded: such a path is an encoding trick, not a page.
        if (wildcard.includes('%')) throw notFound;
        if (reserved.some((p) => path === p || path.startsWith(`${p}/`))) throw notFound;
        if (!existsSync(resolve(root, 'index.html')))
          return reply.status(503).type('text/html; charset=utf-8').send(NOT_BUILT_PAGE);
        const relative = wildcard;
        const file = resolve(root, relative);
        if (relative !== '' && file.startsWith(root + sep) && isFile(file)) {
          // Vite names assets by content hash, so they never change; index.html must always be fresh.
          const immutable = relative.startsWith('assets/');
          return reply
            .header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
            .sendFile(relative, root, { cacheControl: false });
        }
        if (extname(relative) !== '') throw notFound;
        return reply
          .header('cache-control', 'no-cache')
          .sendFile('index.html', root, { cacheControl: false });
      },
    );
  };
}
