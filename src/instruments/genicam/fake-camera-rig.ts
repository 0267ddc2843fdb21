import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { whyNoNamespaces } from '../../../test/support/node-in-namespace.ts';

/**
 * Test support for Aravis's own fake GigE Vision camera (`arv-fake-gv-camera-0.8`, Debian
 * aravis-tools). Its stream only reaches 127.0.0.1 reliably inside a network namespace that
 * has nothing but loopback, so the tests run themselves again inside one (`ip netns exec`).
 */

export const FAKE_CAMERA = '/usr/bin/arv-fake-gv-camera-0.8';
export const CAMERA_TEST = '/usr/bin/arv-camera-test-0.8';
/** Set in the environment of the process that runs inside the namespace. */
export const NAMESPACE_ENV = 'BENCHTOP_TEST_NETNS';

/** Why the fake-camera tests cannot run here, or false when they can. */
export function whyNoFakeCamera(): string | false {
  if (!existsSync(FAKE_CAMERA)) return `${FAKE_CAMERA} not installed (Debian aravis-tools)`;
  return whyNoNamespaces();
}

/** A fresh namespace with only loopback, up. */
export function loopbackNamespace(tag: string): { name: string; remove(): void } {
  const name = `benchtop-${tag}-${process.pid}`;
  execFileSync('ip', ['netns', 'add', name]);
  execFileSync('ip', ['netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up']);
  return { name, remove: () => void spawnSync('ip', ['netns', 'delete', name]) };
}

/** A running fake camera, listening on 127.0.0.1 (call only inside the namespace). */
export class FakeCamera {
  private process: ChildProcess | null = null;
  readonly serial: string;

  constructor(serial = 'GV01') {
    this.serial = serial;
  }

  /** Aravis names the fake `Aravis-Fake-<serial>`. */
  get deviceId(): string {
    return `Aravis-Fake-${this.serial}`;
  }

  start(): void {
    if (this.process) return;
    this.process = spawn(FAKE_CAMERA, ['-i', '127.0.0.1', '-s', this.serial], { stdio: 'ignore' });
  }

  /** Unplugged: the process dies at once, without a goodbye. */
  kill(): Promise<void> {
    const child = this.process;
    this.process = null;
    if (!child || child.exitCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }
}
