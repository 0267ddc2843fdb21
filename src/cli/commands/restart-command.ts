import { ApiClient, clientOptions } from '../client/api-client.ts';
import type { Invocation } from '../command-spec.ts';

interface RestartReply {
  id: string;
  previous: string;
  state: string;
  lastError: { code: string; message: string } | null;
}

/**
 * `benchtop restart INSTRUMENT`: the operator's way out of `faulted` (after too many restarts
 * an instrument stays down until someone says the device is fixed). Prints the state after
 * the first attempt; one that is still failing goes on retrying in the server.
 */
export async function restartInstrument(
  client: ApiClient,
  id: string,
  out: NodeJS.WritableStream,
): Promise<string> {
  const r = await client.request<RestartReply>(
    'POST',
    `/api/v1/instruments/${encodeURIComponent(id)}/restart`,
  );
  const why = r.state === 'ready' || !r.lastError ? '' : ` (${r.lastError.message})`;
  out.write(`${r.id}: ${r.previous} → ${r.state}${why}\n`);
  return r.state;
}

export async function restartAction(
  inv: Invocation<{ url?: string }, { instrument: string }>,
): Promise<number> {
  const client = new ApiClient(clientOptions(inv.options, inv.env));
  const state = await restartInstrument(client, inv.args.instrument, inv.out);
  // Exit 1 when it did not come up, so a script notices.
  return state === 'ready' ? 0 : 1;
}
