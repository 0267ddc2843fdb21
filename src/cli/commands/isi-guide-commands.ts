import { ApiClient, clientOptions } from '../client/api-client.ts';
import type { Invocation } from '../command-spec.ts';

// `benchtop isi command NAME [--param key=value …]`: any of the imaging guide's commands on the
// server (POST /api/v1/isi/command), and `benchtop isi capture-anatomical` for the snapshot.

interface CommandOptions {
  url?: string;
  param?: string[];
}

/** `key=value`; the value is JSON when it parses as JSON (numbers, booleans, objects), else text. */
export function parseParams(pairs: readonly string[]): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`--param ${pair}: expected key=value`);
    const text = pair.slice(eq + 1);
    let value: unknown = text;
    try {
      value = JSON.parse(text);
    } catch {
      // plain text
    }
    params[pair.slice(0, eq)] = value;
  }
  return params;
}

async function send(
  inv: Invocation<CommandOptions, unknown>,
  command: string,
  params: Record<string, unknown>,
) {
  const reply = await new ApiClient(clientOptions(inv.options, inv.env)).request<{ result: unknown }>(
    'POST',
    '/api/v1/isi/command',
    { command, params },
  );
  inv.out.write(`${JSON.stringify(reply.result, null, 2)}\n`);
}

export async function isiCommand(inv: Invocation<CommandOptions, { name: string }>): Promise<void> {
  await send(inv, inv.args.name, parseParams(inv.options.param ?? []));
}

export async function isiCaptureAnatomical(
  inv: Invocation<CommandOptions & { camera?: string; frames?: string }, unknown>,
): Promise<void> {
  const params: Record<string, unknown> = {};
  if (inv.options.camera) params.camera = inv.options.camera;
  if (inv.options.frames !== undefined) params.frames = Number(inv.options.frames);
  await send(inv, 'capture_anatomical', params);
}
