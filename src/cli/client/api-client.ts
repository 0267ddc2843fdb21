import { request as httpRequest, type RequestOptions } from 'node:http';
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
    const payload = body !== undefined ? JSON.stringify(body) : undefined;
    const headers: Record<string, string> = { ...this.headers() };
    if (payload !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    const res = await exchange(new URL(`${this.options.url}${path}`), method, headers, payload, () => {
      this.answered = true;
    }).catch((error: unknown) => {
      // Also when the connection broke mid-answer; `answered` then keeps callers from falling back.
      throw unreachable(this.options.url, error);
    });
    let parsed: unknown;
    try {
      parsed = res.text ? JSON.parse(res.text) : undefined;
    } catch {
      // Not the API's JSON (a proxy's error page, another program on the port).
      throw new BenchtopError('INTERNAL', `${method} ${path}: HTTP ${res.status}, not a Benchtop answer`, {
        url: this.options.url,
      });
    }
    if (res.status < 200 || res.status >= 300) {
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

/**
 * One HTTP request, its status and body as text. node:http rather than fetch: fetch loads its
 * implementation (undici) on first use, some 40 ms that every `benchtop get` in a loop would pay.
 */
async function exchange(
  url: URL,
  method: string,
  headers: Record<string, string>,
  payload: string | undefined,
  onAnswer: () => void,
): Promise<{ status: number; text: string }> {
  const send = url.protocol === 'https:' ? (await import('node:https')).request : httpRequest;
  const options: RequestOptions = { method, headers };
  return new Promise((resolve, reject) => {
    const req = send(url, options, (res) => {
      onAnswer();
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** No answer from the server at all: nothing listens there, or the connection was refused or reset. */
export function unreachable(url: string, error: unknown): BenchtopError {
  // node:http puts the system error's code on the error itself; fetch (downloads) on its cause.
  const cause = (error as Error).cause as { code?: string } | undefined;
  const why = (error as { code?: string }).code ?? cause?.code ?? (error as Error).message;
  return new BenchtopError(
    'SERVER_UNREACHABLE',
    `cannot reach Benchtop at ${url}: ${why} (start it with \`benchtop start\`, or name it with --url or $BENCHTOP_URL)`,
    { url, reason: why },
    { cause: error },
  );
}
