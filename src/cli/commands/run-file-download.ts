import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BenchtopError, type ErrorCode, ErrorCodes } from '../../core/errors.ts';
import { type ApiClient, unreachable } from '../client/api-client.ts';

/** Bytes received so far, and the file's size when the server sent one. */
export type DownloadProgress = (received: number, total: number | null) => void;

/**
 * Downloads one of a run's files (`GET /api/v1/runs/{uid}/files/{file}`, `file` as the catalog
 * lists it, relative to output_dir) to `target`, streamed to disk so a camera run's file of any
 * size never sits in memory. Written as `<target>.partial` and renamed when complete.
 */
export async function downloadRunFile(
  client: ApiClient,
  uid: string,
  file: string,
  target: string,
  onProgress?: DownloadProgress,
): Promise<void> {
  const path = `/api/v1/runs/${encodeURIComponent(uid)}/files/${encodeURIComponent(file)}`;
  let res: Response;
  try {
    res = await fetch(`${client.options.url}${path}`, { headers: client.headers() });
  } catch (error) {
    throw unreachable(client.options.url, error);
  }
  if (!res.ok || !res.body) throw await responseError(res, path);
  const total = Number(res.headers.get('content-length') ?? Number.NaN);
  const size = Number.isFinite(total) ? total : null;
  let received = 0;
  onProgress?.(0, size);
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      received += chunk.byteLength;
      onProgress?.(received, size);
      done(null, chunk);
    },
  });
  const partial = `${target}.partial`;
  try {
    await mkdir(dirname(target), { recursive: true });
    await pipeline(Readable.fromWeb(res.body), counter, createWriteStream(partial));
    if (size !== null && received !== size) {
      throw new Error(`received ${received} of ${size} bytes`);
    }
    await rename(partial, target);
  } catch (err) {
    await rm(partial, { force: true });
    throw new BenchtopError(
      'STORAGE_ERROR',
      `download of ${file} (run ${uid}) to ${target} failed: ${(err as Error).message}`,
      { uid, file, target },
      { cause: err },
    );
  }
}

/** The API's error envelope as a BenchtopError with the server's code. */
async function responseError(res: Response, path: string): Promise<BenchtopError> {
  const text = await res.text();
  let error: { code?: string; message?: string; details?: Record<string, unknown> } | undefined;
  try {
    error = (JSON.parse(text) as { error?: typeof error }).error;
  } catch {
    // Not the API's JSON (a proxy's error page): the status says enough.
  }
  const code = error?.code && error.code in ErrorCodes ? (error.code as ErrorCode) : 'INTERNAL';
  return new BenchtopError(code, error?.message ?? `GET ${path}: HTTP ${res.status}`, error?.details ?? {});
}
