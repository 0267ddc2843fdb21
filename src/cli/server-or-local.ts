import { isBenchtopError } from '../core/errors.ts';
import { ApiClient, clientOptions } from './client/api-client.ts';

/** The flags that choose where a command that reads run data gets it. */
export interface TargetFlags {
  url?: string;
  local?: boolean;
}

/**
 * The one rule of the client commands: ask the server (--url, else $BENCHTOP_URL, else
 * http://127.0.0.1:8080) when one answers; read this machine's files only with --local, or
 * when no server answers, and then say so on stderr. A server named with --url must answer:
 * for that command the user asked for that server, so its absence is an error, not a reason to
 * show other data.
 */
export async function serverOrLocal<T>(
  flags: TargetFlags,
  env: NodeJS.ProcessEnv,
  err: NodeJS.WritableStream,
  use: { server: (client: ApiClient) => Promise<T>; local: () => Promise<T> },
): Promise<T> {
  if (flags.local) return use.local();
  const client = new ApiClient(clientOptions(flags, env));
  try {
    return await use.server(client);
  } catch (error) {
    // Only "nobody answered the first request": an error from a server that answered is its answer.
    if (flags.url !== undefined || client.answered || !isBenchtopError(error, 'SERVER_UNREACHABLE'))
      throw error;
    err.write(
      `benchtop: no server answers at ${client.options.url} (${String(error.details.reason)}); using the local files instead (storage.output_dir of the configuration; --local skips the server)\n`,
    );
    return use.local();
  }
}
