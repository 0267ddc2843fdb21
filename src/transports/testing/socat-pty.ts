import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Tests that need a pseudo-terminal skip with this reason when socat is missing. */
export const socatMissing =
  spawnSync('socat', ['-V'], { stdio: 'ignore' }).status !== 0 &&
  'socat not installed (apt-get install -y socat)';

export interface SocatPty {
  /** The pseudo-terminal's path, for `serial_port`. */
  path: string;
  /** Stops socat (the serial link drops) and removes the path. */
  close(): Promise<void>;
}

/**
 * Bridges a new pseudo-terminal to a TCP port with socat, so a serial driver (serialport) can
 * talk to a TCP simulator. Resolves once socat reports both ends open (its `-d -d` log says
 * "starting data transfer loop"), so nothing waits on a timer.
 */
export function socatPty(port: number, host = '127.0.0.1'): Promise<SocatPty> {
  const dir = mkdtempSync(join(tmpdir(), 'benchtop-pty-'));
  const path = join(dir, 'tty');
  const socat = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${path}`, `tcp:${host}:${port}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => socat.once('exit', () => resolve()));
  const close = async () => {
    if (socat.exitCode === null && socat.signalCode === null) {
      socat.kill();
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  return new Promise<SocatPty>((resolve, reject) => {
    let log = '';
    socat.stderr!.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      if (log.includes('starting data transfer loop')) resolve({ path, close });
    });
    const fail = (error: Error) => {
      rmSync(dir, { recursive: true, force: true });
      reject(error);
    };
    socat.once('exit', (code) => fail(new Error(`socat exited (${code}) before the bridge was up:\n${log}`)));
    socat.once('error', fail);
  });
}
