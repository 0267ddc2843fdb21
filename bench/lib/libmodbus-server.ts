import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { scratchDir } from './benchtop-process.ts';
import { ChildHandle } from './child-process.ts';

const EXAMPLES = '/usr/share/doc/libmodbus-dev/examples';
const EXAMPLE = 'bandwidth-server-many-up.c';
/** Holding registers served from address 0: the benchmark's clients read 100 at 0, 1000, 2000 and 3000. */
const HOLDING_REGISTERS = 10_000;

/**
 * The edits that make libmodbus's example server fit a benchmark, each applied to text that must
 * be there (an example that changed upstream fails loudly rather than building something else):
 * the port from argv[1] (0: any free one, printed once listening), TCP_NODELAY on each accepted
 * socket (as our simulator and any PLC-facing server sets it: without it, Nagle holds back the
 * second of two pipelined replies until the first is acknowledged), and enough holding registers.
 */
const PATCHES: [string, string][] = [
  ['#include <modbus.h>', '#include <modbus.h>\n#include <netinet/tcp.h>'],
  ['int main(void)', 'int main(int argc, char *argv[])'],
  ['modbus_new_tcp("127.0.0.1", 1502)', 'modbus_new_tcp("127.0.0.1", argc > 1 ? atoi(argv[1]) : 1502)'],
  ['MODBUS_MAX_READ_REGISTERS, 0);', `${HOLDING_REGISTERS}, 0);`],
  [
    'signal(SIGINT, close_sigint);',
    `signal(SIGINT, close_sigint);
    {
        struct sockaddr_in bound;
        socklen_t bound_length = sizeof(bound);
        if (getsockname(server_socket, (struct sockaddr *)&bound, &bound_length) == -1) {
            perror("getsockname");
            close_sigint(1);
        }
        printf("listening on 127.0.0.1:%d\\n", ntohs(bound.sin_port));
        fflush(stdout);
    }`,
  ],
  [
    'FD_SET(newfd, &refset);',
    `FD_SET(newfd, &refset);
                    {
                        int one = 1;
                        setsockopt(newfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
                    }`,
  ],
];

export interface LibmodbusServer {
  port: number;
  child: ChildHandle;
  stop(): Promise<void>;
}

/** Why libmodbus's example server cannot be built here, or null when it can. */
export function libmodbusServerMissing(): string | null {
  if (!exampleSource()) return `${EXAMPLES}/${EXAMPLE} not found (apt-get install libmodbus-dev)`;
  if (spawnSync('gcc', ['--version'], { stdio: 'ignore' }).status !== 0) return 'gcc not installed';
  if (spawnSync('pkg-config', ['--exists', 'libmodbus'], { stdio: 'ignore' }).status !== 0)
    return 'pkg-config does not find libmodbus (apt-get install libmodbus-dev pkg-config)';
  return null;
}

function exampleSource(): string | undefined {
  return [EXAMPLE, `${EXAMPLE}.gz`].map((f) => join(EXAMPLES, f)).find((f) => existsSync(f));
}

function patched(source: string): string {
  let text = source;
  for (const [from, to] of PATCHES) {
    if (!text.includes(from)) throw new Error(`${EXAMPLE}: expected text not found to patch: ${from}`);
    text = text.replace(from, to);
  }
  return text;
}

/**
 * libmodbus's own server (its `bandwidth-server-many-up` example: select() over every client,
 * `modbus_receive` then `modbus_reply` against a register mapping), patched as above and built
 * with gcc into a scratch directory, then started on a free loopback port. A Modbus server that
 * is not ours, for the client comparison. Check `libmodbusServerMissing()` first.
 */
export async function startLibmodbusServer(): Promise<LibmodbusServer> {
  const found = exampleSource();
  if (!found) throw new Error(`${EXAMPLES}/${EXAMPLE} not found (apt-get install libmodbus-dev)`);
  const { dir, remove } = scratchDir('libmodbus-server');
  try {
    const raw = readFileSync(found);
    const source = join(dir, EXAMPLE);
    writeFileSync(source, patched((found.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8')));
    const binary = join(dir, 'bandwidth-server-many-up');
    const flags = spawnSync('pkg-config', ['--cflags', '--libs', 'libmodbus'], { encoding: 'utf8' })
      .stdout.trim()
      .split(/\s+/);
    await promisify(execFile)('gcc', ['-O2', source, '-o', binary, ...flags], { timeout: 120_000 });
    const child = new ChildHandle(binary, ['0'], { cwd: dir });
    const line = await child
      .waitForLine((l) => l.startsWith('listening on '), 10_000, 'libmodbus server')
      .catch(async (error: unknown) => {
        await child.stop(2_000);
        throw error;
      });
    return {
      port: Number(line.slice(line.lastIndexOf(':') + 1)),
      child,
      stop: async () => {
        await child.stop(5_000);
        remove();
      },
    };
  } catch (error) {
    remove();
    throw error;
  }
}
