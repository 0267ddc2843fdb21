import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'smol-toml';
import { PrivateNatsServer } from '../../src/distributed/testing/nats-server.ts';
import { scratchDir } from './benchtop-process.ts';
import { ChildHandle, nodeBin, repoRoot } from './child-process.ts';
import { waitAllReady } from './fanout-rig.ts';

const cli = join(repoRoot, 'src/cli/main.ts');

function messageOf(line: string): string {
  if (!line.startsWith('{')) return '';
  try {
    return String((JSON.parse(line) as { msg?: unknown }).msg ?? '');
  } catch {
    return '';
  }
}

/**
 * Several machines on one: a private nats-server (JetStream, its own store, its own port),
 * `benchtop agent` holding the instruments of a single-machine configuration, and `benchtop
 * hub` with none, each its own process as on separate hosts. The hub's URL serves the agent's
 * instruments; it resolves once they are all ready there.
 */
export class BenchSite {
  readonly nats: PrivateNatsServer;
  readonly agent: ChildHandle;
  readonly hub: ChildHandle;
  readonly hubUrl: string;
  private readonly remove: () => void;

  private constructor(
    nats: PrivateNatsServer,
    agent: ChildHandle,
    hub: ChildHandle,
    hubUrl: string,
    remove: () => void,
  ) {
    this.nats = nats;
    this.agent = agent;
    this.hub = hub;
    this.hubUrl = hubUrl;
    this.remove = remove;
  }

  /**
   * `machineConfig` is what `benchtop start` would run; its instruments (and logging groups)
   * move to the agent. `hubExtra` is merged into the hub's configuration (e.g. PostgreSQL).
   */
  static async start(options: {
    name: string;
    machineConfig: string;
    agentExtra?: Record<string, unknown>;
    hubExtra?: Record<string, unknown>;
    agentNodeArgs?: string[];
    hubNodeArgs?: string[];
  }): Promise<BenchSite> {
    const { dir, remove } = scratchDir(options.name);
    const nats = new PrivateNatsServer();
    const children: ChildHandle[] = [];
    try {
      await nats.start();
      const machine = parse(options.machineConfig) as Record<string, unknown>;
      const bus = { url: nats.url };
      const agentConfig = {
        ...machine,
        agent: { id: 'bench-agent', heartbeat_ms: 1000, ...((options.agentExtra?.agent as object) ?? {}) },
        bus,
        storage: { output_dir: join(dir, 'agent') },
      };
      const { application, server } = machine as { application?: object; server?: object };
      const hubConfig = {
        instruments: [],
        application: { ...(application ?? {}), name: 'bench-hub' },
        server: { ...(server ?? {}) },
        simulation: { enabled: false },
        agent: { heartbeat_ms: 1000 },
        bus,
        ...options.hubExtra,
        storage: { output_dir: join(dir, 'hub'), ...((options.hubExtra?.storage as object) ?? {}) },
      };
      const spawnSite = (command: 'agent' | 'hub', config: object, nodeArgs: string[] | undefined) => {
        const file = join(dir, `${command}.toml`);
        writeFileSync(file, stringify(config));
        const env: NodeJS.ProcessEnv = { ...process.env, BENCHTOP_LOGGING__FORMAT: 'json' };
        delete env.BENCHTOP_CONFIG;
        const args = [...(nodeArgs ?? []), cli, command, '--config', file];
        if (command === 'hub') args.push('--port', '0', '--bind', '127.0.0.1');
        const child = new ChildHandle(nodeBin, args, { cwd: dir, env });
        children.push(child);
        return child;
      };
      const agent = spawnSite('agent', agentConfig, options.agentNodeArgs);
      await agent.waitForLine(
        (l) => /joined site/.test(messageOf(l)),
        60_000,
        `${options.name}: agent joined`,
      );
      const hub = spawnSite('hub', hubConfig, options.hubNodeArgs);
      const ready = await hub.waitForLine(
        (l) => messageOf(l).startsWith('Benchtop ready at'),
        60_000,
        `${options.name}: hub ready`,
      );
      const hubUrl = String((JSON.parse(ready) as { url: string }).url);
      await waitAllReady(hubUrl, 30_000);
      return new BenchSite(nats, agent, hub, hubUrl, remove);
    } catch (error) {
      for (const c of children.reverse()) await c.stop(2_000);
      await nats.dispose();
      remove();
      throw error;
    }
  }

  async stop(): Promise<void> {
    await this.hub.stop(15_000);
    await this.agent.stop(15_000);
    await this.nats.dispose();
    this.remove();
  }
}
