import { BenchtopError, type ErrorCode, ErrorCodes } from '../../core/errors.ts';

export interface ClientOptions {
  url: string;
  apiKey?: string;
  token?: string;
}

/** --url, else $BENCHTOP_URL, else the local server. */
export function clientOptions(flags: { url?: string }, env: NodeJS.ProcessEnv): ClientOptions {
  return {
    url: (flags.url ?? env.BENCHTOP_URL ?? 'http://127.0.0.1:8080').replace(/\/+$/, ''),
    ...(env.BENCHTOP_API_KEY ? { apiKey: env.BENCHTOP_API_KEY } : {}),
    ...(env.BENCHTOP_TOKEN ? { token: env.BENCHTOP_TOKEN } : {}),
  };
}

/** A thin client for the HTTP API: the CLI uses exactly what any script would. */
export class ApiClient {
  readonly options: ClientOptions;
  /** Whether the server has answered any request (so a later failure is not "no server here"). */
  answered = false;

  constructor(options: ClientOptions) {
    this.options = options;
  }

  headers(): Record<string, string> {
    const h: Record<string, string> = {};
    if (this.options.apiKey) h['x-api-key'] = this.options.apiKey;
    if (this.options.token) h.authorization = `Bearer ${this.options.token}`;
    return h;
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.options.url}${path}`, {
        method,
        headers: { ...this.headers(), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (error) {
      throw unreachable(this.options.url, error);
    }
    this.answered = true;
    const text = await res.text();
    const parsed = text ? (JSON.parse(text) as unknown) : undefined;
    if (!res.ok) {
      const e = (parsed as { error?: { code: string; message: string; details: Record<string, unknown> } })
        ?.error;
      const code = e && e.code in ErrorCodes ? (e.code as ErrorCode) : 'INTERNAL';
      throw new BenchtopError(code, e?.message ?? `${method} ${path}: HTTP ${res.status}`, e?.details ?? {});
    }
    return parsed as T;
  }

  wsUrl(path: string): string {
    return `${this.options.url.replace(/^http/, 'ws')}${path}`;
  }
}

/** No answer from the server at all: nothing listens there, or the connection was refused or reset. */
export function unreachable(url: string, error: unknown): BenchtopError {
  const cause = (error as Error).cause as { code?: string; message?: string } | undefined;
  const why = cause?.code ?? cause?.message ?? (error as Error).message;
  return new BenchtopError(
    'SERVER_UNREACHABLE',
    `cannot reach Benchtop at ${url}: ${why} (start it with \`benchtop start\`, or name it with --url or $BENCHTOP_URL)`,
    { url, reason: why },
    { cause: error },
  );
}
