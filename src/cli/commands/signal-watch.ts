import WebSocket from 'ws';
import { ApiClient, clientOptions } from '../client/api-client.ts';
import type { Invocation } from '../command-spec.ts';
import { showValue } from './signal-commands.ts';

/** `benchtop watch meter.power [more signals]`: prints each update until interrupted or `count` updates. */
export function watchCommand(
  client: ApiClient,
  paths: string[],
  options: { rateHz: number; count?: number },
  out: NodeJS.WritableStream,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(client.wsUrl('/api/v1/stream'), { headers: client.headers() });
    let seen = 0;
    ws.on('open', () =>
      ws.send(JSON.stringify({ type: 'subscribe', signals: paths, max_rate_hz: options.rateHz })),
    );
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as {
        type: string;
        instrument?: string;
        signal?: string;
        value?: unknown;
        unit?: string | null;
        timestamp?: number;
        code?: string;
        message?: string;
      };
      if (m.type === 'error') {
        ws.close();
        reject(new Error(`${m.code}: ${m.message}`));
        return;
      }
      if (m.type !== 'reading') return;
      out.write(
        `${new Date(m.timestamp!).toISOString()} ${m.instrument}.${m.signal} ${showValue(m.value, m.unit)}\n`,
      );
      if (options.count !== undefined && ++seen >= options.count) ws.close();
    });
    ws.on('close', () => resolve());
    ws.on('error', (e) => reject(new Error(`cannot stream from ${client.options.url}: ${e.message}`)));
  });
}

export function watchAction(
  inv: Invocation<{ url?: string; rate: string; count?: string }, { signals: string[] }>,
): Promise<void> {
  const { rate, count } = inv.options;
  return watchCommand(
    new ApiClient(clientOptions(inv.options, inv.env)),
    inv.args.signals,
    { rateHz: Number(rate), ...(count ? { count: Number(count) } : {}) },
    inv.out,
  );
}
