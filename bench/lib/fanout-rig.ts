import { fanoutSignalPaths, loggingInstruments, serverConfig, simulatorConfig } from './bench-configs.ts';
import { type BenchtopProcess, startBenchtop, startSimulators } from './benchtop-process.ts';
import { benchScript, ChildHandle, nodeBin } from './child-process.ts';
import { type HistogramJson, LatencyHistogram } from './latency-histogram.ts';

export interface FanoutWindow {
  histogram: LatencyHistogram;
  messages: number;
  /** Client sockets closed by the server so far (a slow client is disconnected). */
  closed: number;
  errors: number;
}

interface WindowReply {
  t: 'window';
  histogram: HistogramJson;
  messages: number;
  closed: number;
  errors: number;
}

/** Polls GET /api/v1/instruments until every instrument is ready. */
export async function waitAllReady(url: string, timeoutMs: number, pollMs = 20): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let last = '';
  while (performance.now() < deadline) {
    try {
      const response = await fetch(`${url}/api/v1/instruments`);
      const list = (await response.json()) as { id: string; state: string }[];
      last = list.map((i) => `${i.id}=${i.state}`).join(' ');
      if (list.length > 0 && list.every((i) => i.state === 'ready')) return;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  throw new Error(`instruments not all ready within ${timeoutMs} ms: ${last}`);
}

/**
 * The load of benchmark 3, shared by the fan-out, logging-jitter and footprint benchmarks:
 * simulated DMMs in a `benchtop sim` process, `benchtop start` in another, and `clients`
 * WebSocket clients spread over `generators` load-generator processes, each subscribed to the
 * five DMM signals (polled every 100 ms) at 10 Hz.
 */
export class FanoutRig {
  readonly server: BenchtopProcess;
  private readonly sim: { stop(): Promise<void> };
  private readonly generators: ChildHandle[];

  private constructor(server: BenchtopProcess, sim: { stop(): Promise<void> }, generators: ChildHandle[]) {
    this.server = server;
    this.sim = sim;
    this.generators = generators;
  }

  static async start(options: {
    name: string;
    clients: number;
    generators: number;
    logging500?: boolean;
    serverNodeArgs?: string[];
    log: (message: string) => void;
  }): Promise<FanoutRig> {
    const ids = ['dmm', ...(options.logging500 ? loggingInstruments : [])];
    const sim = await startSimulators({ name: options.name, config: simulatorConfig(ids) });
    let server: BenchtopProcess | null = null;
    const generators: ChildHandle[] = [];
    try {
      server = await startBenchtop({
        name: options.name,
        config: serverConfig({ ports: sim.ports, dmmPollMs: 100, logging500: options.logging500 ?? false }),
        ...(options.serverNodeArgs ? { nodeArgs: options.serverNodeArgs } : {}),
      });
      await waitAllReady(server.url, 30_000);
      options.log(
        `  server ${server.url} (pid ${server.child.pid}) ready; connecting ${options.clients} clients`,
      );
      const per = Math.ceil(options.clients / options.generators);
      for (let g = 0; g < options.generators; g++) {
        const count = Math.min(per, options.clients - g * per);
        generators.push(
          new ChildHandle(
            nodeBin,
            [
              benchScript('children/ws-clients.ts'),
              server.url,
              String(count),
              fanoutSignalPaths.join(','),
              '10',
            ],
            { ipc: true },
          ),
        );
      }
      await Promise.all(
        generators.map((g) =>
          g.nextMessage<{ t: string }>((m) => m.t === 'ready', 120_000, 'load generator ready'),
        ),
      );
      return new FanoutRig(server, sim, generators);
    } catch (error) {
      await Promise.all(generators.map((g) => g.stop(2_000)));
      await server?.stop();
      await sim.stop();
      throw error;
    }
  }

  get generatorPids(): number[] {
    return this.generators.map((g) => g.pid);
  }

  /** Everything the clients received since the last call, merged over the generators. */
  async window(): Promise<FanoutWindow> {
    const replies = await Promise.all(
      this.generators.map((g) => {
        const reply = g.nextMessage<WindowReply>((m) => m.t === 'window', 60_000, 'load generator window');
        g.send({ t: 'window' });
        return reply;
      }),
    );
    const histogram = new LatencyHistogram();
    for (const r of replies) histogram.merge(LatencyHistogram.fromJSON(r.histogram));
    return {
      histogram,
      messages: replies.reduce((n, r) => n + r.messages, 0),
      closed: replies.reduce((n, r) => n + r.closed, 0),
      errors: replies.reduce((n, r) => n + r.errors, 0),
    };
  }

  async stop(): Promise<void> {
    for (const g of this.generators) g.send({ t: 'stop' });
    await Promise.all(this.generators.map((g) => g.stop(5_000)));
    await this.server.stop();
    await this.sim.stop();
  }
}
