import type { SignalDescription } from '../../core/device-description.ts';
import { parseSignalText, splitSignalPath } from '../../core/signal-text.ts';
import { ApiClient, clientOptions } from '../client/api-client.ts';
import type { Invocation } from '../command-spec.ts';

// `benchtop get` and `set` are what users script in loops (the `caget` habit): this module and
// what it imports stay small, so that each call starts in tens of milliseconds.

interface Described {
  signals: SignalDescription[];
}

export const showValue = (value: unknown, unit: string | null | undefined) =>
  `${typeof value === 'string' ? value : JSON.stringify(value)}${unit ? ` ${unit}` : ''}`;

/** `benchtop get laser.wavelength` */
export async function getCommand(client: ApiClient, path: string, out: NodeJS.WritableStream): Promise<void> {
  const { instrument, signal } = splitSignalPath(path);
  const r = await client.request<{ value: unknown; unit: string | null; timestamp: number }>(
    'GET',
    `/api/v1/instruments/${encodeURIComponent(instrument)}/signals/${encodeURIComponent(signal)}`,
  );
  out.write(`${path} ${showValue(r.value, r.unit)}\n`);
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
    r.value !== undefined
      ? `${path} ${showValue(r.value, r.unit)}\n`
      : `${path} ${r.done ? 'done' : 'sent'}\n`,
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

type Server = { url?: string };
const client = (inv: Invocation<Server, unknown>) => new ApiClient(clientOptions(inv.options, inv.env));

export const getAction = (inv: Invocation<Server, { signal: string }>) =>
  getCommand(client(inv), inv.args.signal, inv.out);

export const setAction = (inv: Invocation<Server & { wait: boolean }, { signal: string; value: string }>) =>
  setCommand(client(inv), inv.args.signal, inv.args.value, inv.options.wait, inv.out);

export const callAction = (inv: Invocation<Server, { action: string; args: string[] }>) =>
  callCommand(client(inv), inv.args.action, inv.args.args, inv.out);
