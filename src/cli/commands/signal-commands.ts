import WebSocket from 'ws';
import type { SignalDescription } from '../../core/device.ts';
import { splitSignalPath } from '../../core/instrument.ts';
import { parseSignalText } from '../../core/signal-validation.ts';
import type { ApiClient } from '../client/api-client.ts';

interface Described {
  signals: SignalDescription[];
}

const show = (value: unknown, unit: string | null | undefined) =>
  `${typeof value === 'string' ? value : JSON.stringify(value)}${unit ? ` ${unit}` : ''}`;

/** `benchtop get laser.wavelength` */
export async function getCommand(client: ApiClient, path: string, out: NodeJS.WritableStream): Promise<void> {
  const { instrument, signal } = splitSignalPath(path);
  const r = await client.request<{ value: unknown; unit: string | null; timestamp: number }>(
    'GET',
    `/api/v1/instruments/${encodeURIComponent(instrument)}/signals/${encodeURIComponent(signal)}`,
  );
  out.write(`${path} ${show(r.value, r.unit)}\n`);
}

/** `benchtop set stage.axis1.position 5`: the text is typed from the signal's description. */
export async function setCommand(
  client: ApiClient,
  path: string,
  text: string,
  wait: boolean,
  out: NodeJS.WritableStream,
): Promise<void> {
  const { instrument, signal } = splitSignalPath(path);
  const desc = await client.request<Described>(
    'GET',
    `/api/v1/instruments/${encodeURIComponent(instrument)}`,
  );
  const s = desc.signals.find((x) => x.name === signal);
  const value = s ? parseSignalText(s, text) : text;
  const r = await client.request<{ value?: unknown; unit?: string | null; done: boolean }>(
    'PUT',
    `/api/v1/instruments/${encodeURIComponent(instrument)}/signals/${encodeURIComponent(signal)}?wait=${wait}`,
    { value },
  );
  out.write(
    r.value !== undefined ? `${path} ${show(r.value, r.unit)}\n` : `${path} ${r.done ? 'done' : 'sent'}\n`,
  );
}

/** `benchtop call stage.axis1.home [key=value ...]` */
export async function callCommand(
  client: ApiClient,
  path: string,
  assignments: string[],
  out: NodeJS.WritableStream,
): Promise<void> {
  const { instrument, signal: action } = splitSignalPath(path);
  const args: Record<string, unknown> = {};
  for (const a of assignments) {
    const eq = a.indexOf('=');
    if (eq <= 0) throw new Error(`argument "${a}" is not key=value`);
    const raw = a.slice(eq + 1);
    args[a.slice(0, eq)] =
      raw !== '' && !Number.isNaN(Number(raw))
        ? Number(raw)
        : raw === 'true'
          ? true
          : raw === 'false'
            ? false
            : raw;
  }
  const r = await client.request<{ result: unknown }>(
    'POST',
    `/api/v1/instruments/${encodeURIComponent(instrument)}/actions/${encodeURIComponent(action)}`,
    { args },
  );
  out.write(`${path} ${r.result === null ? 'done' : JSON.stringify(r.result)}\n`);
}

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
        `${new Date(m.timestamp!).toISOString()} ${m.instrument}.${m.signal} ${show(m.value, m.unit)}\n`,
      );
      if (options.count !== undefined && ++seen >= options.count) ws.close();
    });
    ws.on('close', () => resolve());
    ws.on('error', (e) => reject(new Error(`cannot stream from ${client.options.url}: ${e.message}`)));
  });
}
