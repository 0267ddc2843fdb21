import { session } from './session.ts';

/** An API failure with the server's `{error: {code, message, details}}`, or NETWORK when it was unreachable. */
export class ApiError extends Error {
  readonly code: string;
  readonly status: number;
  readonly details: Record<string, unknown>;

  constructor(code: string, message: string, status: number, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.status = status;
    this.details = details;
  }
}

const unauthorizedListeners = new Set<() => void>();

/** Called when the server rejects our credentials and they cannot be refreshed: show the login page. */
export function onUnauthorized(listener: () => void): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  body?: unknown;
  signal?: AbortSignal;
}

/** The session's credentials as headers, for a raw fetch that reads non-2xx bodies itself (/health's 503 report). */
export function authHeaders(): Record<string, string> {
  const token = session.accessToken;
  return token ? { authorization: `Bearer ${token}` } : {};
}

/** fetch with the session's token, one refresh-and-retry on 401, and errors as ApiError. */
export async function request(path: string, options: RequestOptions = {}): Promise<Response> {
  const send = () => {
    const headers: Record<string, string> = {};
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const token = session.accessToken;
    if (token) headers.authorization = `Bearer ${token}`;
    return fetch(path, {
      method: options.method ?? 'GET',
      headers,
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  };
  let response: Response;
  try {
    response = await send();
    if (response.status === 401 && session.hasTokens && (await session.refresh())) response = await send();
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError('NETWORK', 'cannot reach the Benchtop server', 0);
  }
  if (response.ok) return response;
  const error = await errorOf(response);
  if (response.status === 401) for (const l of unauthorizedListeners) l();
  throw error;
}

async function errorOf(response: Response): Promise<ApiError> {
  try {
    const body = (await response.json()) as {
      error?: { code?: string; message?: string; details?: Record<string, unknown> };
    };
    if (body.error?.code)
      return new ApiError(
        body.error.code,
        body.error.message ?? body.error.code,
        response.status,
        body.error.details ?? {},
      );
  } catch {
    // Not our JSON error shape (a proxy in between, say): fall through to the status line.
  }
  return new ApiError('HTTP_ERROR', `HTTP ${response.status} ${response.statusText}`, response.status);
}

export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  return (await (await request(path, signal ? { signal } : {})).json()) as T;
}

export async function sendJson<T>(
  method: 'POST' | 'PUT' | 'DELETE',
  path: string,
  body: unknown = {},
): Promise<T> {
  return (await (await request(path, { method, body })).json()) as T;
}

export async function getText(path: string, signal?: AbortSignal): Promise<string> {
  return (await request(path, signal ? { signal } : {})).text();
}

/** Downloads a file through fetch (so the token goes along), then hands it to the browser. */
export async function download(path: string, filename: string): Promise<void> {
  const blob = await (await request(path)).blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Query string from the defined entries of an object. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params))
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const text = q.toString();
  return text ? `?${text}` : '';
}
