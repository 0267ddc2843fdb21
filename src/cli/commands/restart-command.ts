import { Command } from 'commander';
import { ApiClient, clientOptions } from '../client/api-client.ts';

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

export function restartCommand(env: NodeJS.ProcessEnv): Command {
  return new Command('restart')
    .argument('<instrument>', 'instrument id, e.g. meter')
    .description(
      'restart an instrument: reconnect it with its restart count cleared (the way out of faulted)',
    )
    .option('--url <url>', 'Benchtop server (default: $BENCHTOP_URL, else http://127.0.0.1:8080)')
    .action(async (id: string, options: { url?: string }) => {
      const state = await restartInstrument(new ApiClient(clientOptions(options, env)), id, process.stdout);
      // Exit 1 when it did not come up, so a script notices.
      if (state !== 'ready') process.exitCode = 1;
    });
}
