import { createReadStream, realpathSync, statSync } from 'node:fs';
import { basename, resolve, sep } from 'node:path';
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { RunDocument } from '../../core/documents.ts';
import { BenchtopError } from '../../core/errors.ts';
import type { RunEngine, RunInfo } from '../../engine/run-engine.ts';
import type { RunCatalog } from '../../storage/catalog/run-catalog.ts';
import type { RunSearch } from '../../storage/catalog/run-search.ts';
import {
  ErrorResponses,
  LiveRun,
  Plan,
  RunDetail,
  RunSearchResult,
  StoredDocument,
  SubmitReply,
} from '../api-types.ts';
import type { RemoteRunFiles } from '../context.ts';

const UidParams = Type.Object({ uid: Type.String() });

/**
 * Paging stops here: SQLite skips an offset row by row, and past 2^53 a JSON number is no longer
 * an exact integer (1e20 reached SQLite as a float and failed with a 500).
 */
const MAX_OFFSET = 10_000_000;

/** Accepts epoch seconds, epoch milliseconds or an ISO date; returns epoch seconds. */
export function parseTimeSeconds(text: string | undefined, field: string): number | undefined {
  if (text === undefined || text === '') return undefined;
  const n = Number(text);
  if (Number.isFinite(n)) return n > 1e11 ? n / 1000 : n;
  const t = Date.parse(text);
  if (Number.isNaN(t))
    throw new BenchtopError('VALIDATION_FAILED', `${field}: "${text}" is not a time (ISO 8601 or epoch)`, {
      field,
      value: text,
    });
  return t / 1000;
}

/**
 * The real path of a run's file, which must lie inside output_dir after every symlink is followed
 * (`resolve` alone would let a link inside a run directory point anywhere, e.g. at /etc/passwd).
 */
function confinedFile(outputDir: string, file: string): string {
  let root: string;
  let path: string;
  try {
    root = realpathSync(outputDir);
    path = realpathSync(resolve(root, file));
  } catch {
    throw new BenchtopError('NOT_FOUND', `file ${file} is gone (retention may have removed it)`);
  }
  if (!path.startsWith(root + sep) || !statSync(path).isFile())
    throw new BenchtopError('NOT_FOUND', `file ${file} is not a file inside the output directory`);
  return path;
}

/**
 * /api/v1/plans and /api/v1/runs: plans with live argument schemas, submitting runs,
 * searching the catalog, a run's documents and files, and run control.
 */
export function runRoutes(
  engine: RunEngine,
  catalog: RunCatalog | undefined,
  outputDir: string,
  remoteFiles?: RemoteRunFiles,
) {
  const find = (uid: string): { live: RunInfo | undefined; record: ReturnType<RunCatalog['get']> } => {
    const live = engine.get(uid);
    const record = catalog?.get(uid);
    if (!live && !record) throw new BenchtopError('RUN_NOT_FOUND', `no run "${uid}"`, { uid });
    return { live, record };
  };

  return async (app: FastifyInstance) => {
    app.get(
      '/plans',
      {
        schema: {
          tags: ['runs'],
          summary: 'Plans with argument schemas built from the live instruments',
          response: { 200: Type.Array(Plan), ...ErrorResponses },
        },
      },
      async (): Promise<Plan[]> =>
        engine.plans
          .list()
          .map((p) => ({ name: p.name, description: p.description, schema: engine.planSchema(p.name) })),
    );

    app.post(
      '/runs',
      {
        config: { role: 'operator', audit: 'run.submit' },
        schema: {
          tags: ['runs'],
          summary: 'Submit a run; returns its uid at once (runs queue, one at a time)',
          body: Type.Object(
            {
              plan: Type.String(),
              args: Type.Record(Type.String(), Type.Unknown(), { default: {} }),
              metadata: Type.Record(Type.String(), Type.Unknown(), { default: {} }),
            },
            { additionalProperties: false },
          ),
          response: { 201: SubmitReply, ...ErrorResponses },
        },
      },
      async (request, reply) => {
        const { plan, args, metadata } = request.body as {
          plan: string;
          args: Record<string, unknown>;
          metadata: Record<string, unknown>;
        };
        const { uid } = engine.submit(plan, args, { ...metadata, submitted_by: request.principal.name });
        return reply
          .status(201)
          .send({ uid, run: engine.get(uid) } satisfies Partial<Static<typeof SubmitReply>>);
      },
    );

    app.get(
      '/runs',
      {
        schema: {
          tags: ['runs'],
          summary: 'Search the run catalog; queued and running runs come first under `live`',
          querystring: Type.Object({
            plan: Type.Optional(Type.String()),
            status: Type.Optional(
              Type.String({ description: 'comma-separated: running,success,abort,fail,interrupted' }),
            ),
            since: Type.Optional(Type.String()),
            until: Type.Optional(Type.String()),
            text: Type.Optional(Type.String()),
            metadata: Type.Optional(Type.String({ description: 'key=value[,key=value]' })),
            limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
            offset: Type.Integer({ minimum: 0, maximum: MAX_OFFSET, default: 0 }),
          }),
          response: { 200: RunSearchResult, ...ErrorResponses },
        },
      },
      async (request): Promise<RunSearchResult> => {
        const q = request.query as Record<string, string | number | undefined>;
        const search: RunSearch = { limit: q.limit as number, offset: q.offset as number };
        if (q.plan) search.plan = String(q.plan);
        if (q.status) search.status = String(q.status).split(',') as RunSearch['status'];
        const since = parseTimeSeconds(q.since as string | undefined, 'since');
        const until = parseTimeSeconds(q.until as string | undefined, 'until');
        if (since !== undefined) search.since = since;
        if (until !== undefined) search.until = until;
        if (q.text) search.text = String(q.text);
        if (q.metadata) {
          search.metadata = Object.fromEntries(
            String(q.metadata)
              .split(',')
              .map((kv) => {
                const eq = kv.indexOf('=');
                if (eq <= 0)
                  throw new BenchtopError('VALIDATION_FAILED', `metadata: "${kv}" is not key=value`);
                const raw = kv.slice(eq + 1);
                const value =
                  raw === 'true'
                    ? true
                    : raw === 'false'
                      ? false
                      : raw !== '' && Number.isFinite(Number(raw))
                        ? Number(raw)
                        : raw;
                return [kv.slice(0, eq), value];
              }),
          );
        }
        const live = engine.list().filter((r) => r.state !== 'finished' && r.state !== 'cancelled');
        return {
          live,
          runs: catalog?.search(search) ?? [],
          total: catalog?.count({ ...search, limit: undefined, offset: undefined } as RunSearch) ?? 0,
        };
      },
    );

    app.get(
      '/runs/:uid',
      {
        schema: {
          tags: ['runs'],
          summary: 'One run: its catalog entry and, while the engine knows it, its live state',
          params: UidParams,
          response: { 200: RunDetail, ...ErrorResponses },
        },
      },
      async (request): Promise<RunDetail> => {
        const { live, record } = find((request.params as { uid: string }).uid);
        return { ...(record ?? {}), ...(live ? { live } : {}) };
      },
    );

    app.get(
      '/runs/:uid/documents',
      {
        schema: {
          tags: ['runs'],
          summary: "A run's documents from the catalog, in order",
          params: UidParams,
          querystring: Type.Object({
            name: Type.Optional(
              Type.Union(
                ['start', 'descriptor', 'event', 'stream_resource', 'stream_datum', 'stop'].map((n) =>
                  Type.Literal(n),
                ),
              ),
            ),
            limit: Type.Integer({ minimum: 1, maximum: 10_000, default: 1000 }),
            offset: Type.Integer({ minimum: 0, maximum: MAX_OFFSET, default: 0 }),
          }),
          response: { 200: Type.Array(StoredDocument), ...ErrorResponses },
        },
      },
      async (request): Promise<RunDocument[]> => {
        const { uid } = request.params as { uid: string };
        find(uid);
        const q = request.query as { name?: 'start'; limit: number; offset: number };
        return catalog?.documents(uid, q) ?? [];
      },
    );

    for (const action of ['pause', 'resume', 'abort', 'stop'] as const) {
      app.post(
        `/runs/:uid/${action}`,
        {
          config: { role: 'operator', audit: `run.${action}` },
          schema: {
            tags: ['runs'],
            summary: `${action[0]!.toUpperCase()}${action.slice(1)} the running run (abort or stop a queued one: cancel it); returns the run`,
            params: UidParams,
            body: Type.Object(
              {
                reason: Type.Optional(Type.String()),
                ...(action === 'stop'
                  ? {
                      at: Type.Optional(
                        Type.Union([Type.Literal('now'), Type.Literal('boundary')], {
                          description:
                            "now, or at the plan's next boundary (a recipe's end of cycle); default: the plan's own (a recipe: boundary)",
                        }),
                      ),
                    }
                  : {}),
              },
              { additionalProperties: false },
            ),
            response: { 200: LiveRun, ...ErrorResponses },
          },
        },
        async (request): Promise<LiveRun> => {
          const { uid } = request.params as { uid: string };
          const body = request.body as { reason?: string; at?: 'now' | 'boundary' } | undefined;
          const reason = body?.reason;
          const { live } = find(uid);
          if (live?.state === 'queued' && (action === 'abort' || action === 'stop'))
            return engine.cancel(uid, reason);
          if (engine.current()?.uid !== uid) {
            throw new BenchtopError(
              'RUN_STATE_CONFLICT',
              `run ${uid} is ${live?.state ?? 'finished'}; only the running run can ${action}`,
              {
                uid,
                state: live?.state ?? 'finished',
              },
            );
          }
          if (action === 'pause') return engine.pause();
          if (action === 'resume') return engine.resume();
          if (action === 'abort') return engine.abort(reason ?? `aborted by ${request.principal.name}`);
          return engine.stop(reason ?? `stopped by ${request.principal.name}`, body?.at);
        },
      );
    }

    app.get(
      '/runs/:uid/files/:name',
      {
        schema: {
          tags: ['runs'],
          summary: 'Download one of the run’s files',
          params: Type.Object({ uid: Type.String(), name: Type.String() }),
          produces: ['application/octet-stream'],
          response: {
            200: {
              description: 'the file',
              content: { 'application/octet-stream': { schema: Type.String({ format: 'binary' }) } },
            },
            ...ErrorResponses,
          },
        },
      },
      async (request, reply) => {
        const { uid, name } = request.params as { uid: string; name: string };
        const { record, live } = find(uid);
        const files = record?.files ?? live?.files ?? [];
        // Only a file recorded for this run, by its name or its relative path: nothing else in output_dir is reachable.
        const match = files.find((f) => f === name || basename(f) === name);
        if (!match)
          throw new BenchtopError('NOT_FOUND', `run ${uid} has no file "${name}"`, {
            uid,
            files: files.map((f) => basename(f)),
          });
        if (remoteFiles?.owns(match)) {
          // Camera frames kept on an agent's host: fetched from it chunk by chunk as the client reads.
          const { size, stream } = await remoteFiles.open(match);
          return reply
            .header('content-type', 'application/octet-stream')
            .header('content-length', size)
            .header('content-disposition', `attachment; filename="${basename(match)}"`)
            .send(stream);
        }
        const path = confinedFile(outputDir, match);
        return reply
          .header('content-type', 'application/octet-stream')
          .header('content-length', statSync(path).size)
          .header('content-disposition', `attachment; filename="${basename(path)}"`)
          .send(createReadStream(path));
      },
    );
  };
}
