import { execFileSync, spawnSync } from 'node:child_process';

/** Set in the environment of the test process re-run inside the hub's namespace. */
// Not BENCHTOP_…: those are configuration overrides for the processes the test starts.
export const PARTITION_ENV = 'PARTITION_TEST_HOSTS';

export interface PartitionedHosts {
  /** Namespace of the hub and the NATS server, and its address on the link. */
  hub: { namespace: string; address: string };
  /** Namespace of the agent, its address and its end of the cable. */
  agent: { namespace: string; address: string; device: string };
}

/**
 * Two namespaces joined by a veth pair, as two hosts on one cable: `hub` (10.213.N.1) and
 * `agent` (10.213.N.2), each with its loopback up. Nothing is added to the machine's own
 * namespace; deleting the namespaces deletes the link.
 */
export function twoHosts(tag: string): PartitionedHosts & { remove(): void } {
  const n = process.pid % 250;
  const hub = `bt-${tag}-hub-${process.pid}`;
  const agent = `bt-${tag}-agent-${process.pid}`;
  const hubIf = `bth${process.pid}`.slice(0, 15);
  const agentIf = `bta${process.pid}`.slice(0, 15);
  const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const remove = () => {
    spawnSync('ip', ['netns', 'delete', hub]);
    spawnSync('ip', ['netns', 'delete', agent]);
  };
  try {
    ip('netns', 'add', hub);
    ip('netns', 'add', agent);
    ip('link', 'add', hubIf, 'netns', hub, 'type', 'veth', 'peer', 'name', agentIf, 'netns', agent);
    for (const [ns, dev, address] of [
      [hub, hubIf, `10.213.${n}.1`],
      [agent, agentIf, `10.213.${n}.2`],
    ] as const) {
      ip('-n', ns, 'link', 'set', 'lo', 'up');
      ip('-n', ns, 'addr', 'add', `${address}/24`, 'dev', dev);
      ip('-n', ns, 'link', 'set', dev, 'up');
    }
  } catch (error) {
    remove();
    throw error;
  }
  return {
    hub: { namespace: hub, address: `10.213.${n}.1` },
    agent: { namespace: agent, address: `10.213.${n}.2`, device: agentIf },
    remove,
  };
}

/** Takes the agent's end of the cable down (`up = false`) or up again: a silent partition, no reset sent. */
export function setAgentLink(hosts: PartitionedHosts, up: boolean): void {
  execFileSync('ip', ['-n', hosts.agent.namespace, 'link', 'set', hosts.agent.device, up ? 'up' : 'down']);
}
