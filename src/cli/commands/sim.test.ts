import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, describe, it } from 'node:test';
import { simCommand } from './sim.ts';

/** A TCP port nothing listens on right now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function run(toml: string, flags: { randomPorts?: boolean } = {}) {
  const file = join(dir, `benchtop-${Math.random().toString(36).slice(2)}.toml`);
  writeFileSync(file, toml);
  const out = new PassThrough();
  let text = '';
  out.on('data', (chunk: Buffer) => {
    text += chunk.toString();
  });
  const close = await simCommand({ config: file, ...flags }, {}, out);
  return { close, text: () => text };
}

async function answersIdn(port: number): Promise<string> {
  const socket = new Socket();
  await new Promise<void>((resolve, reject) =>
    socket.once('error', reject).connect(port, '127.0.0.1', resolve),
  );
  const reply = new Promise<string>((resolve) => socket.once('data', (d) => resolve(d.toString())));
  socket.write('*IDN?\n');
  const text = await reply;
  socket.destroy();
  return text;
}

const dir = mkdtempSync(join(tmpdir(), 'benchtop-sim-cmd-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const dmm = (port: number) => `
[[instruments]]
id = "dmm"
type = "ScpiInstrument"
config = { resource = "TCPIP0::127.0.0.1::${port}::SOCKET" }
`;

describe('benchtop sim', () => {
  it("listens on a TCP instrument's own host and port", async () => {
    const port = await freePort();
    const sim = await run(dmm(port));
    try {
      assert.match(sim.text(), new RegExp(`dmm .*tcp://127\\.0\\.0\\.1:${port}\\n`));
      assert.match(await answersIdn(port), /,/);
    } finally {
      await sim.close();
    }
  });

  it('[simulation] ports and --random-ports override it', async () => {
    const port = await freePort();
    const other = await freePort();
    const named = await run(`${dmm(port)}\n[simulation]\nports = { dmm = ${other} }\n`);
    try {
      assert.match(named.text(), new RegExp(`tcp://127\\.0\\.0\\.1:${other}\\n`));
    } finally {
      await named.close();
    }
    const random = await run(dmm(port), { randomPorts: true });
    try {
      const listening = Number(/tcp:\/\/127\.0\.0\.1:(\d+)/.exec(random.text())?.[1]);
      assert.ok(listening > 0 && listening !== port, `random port ${listening}`);
    } finally {
      await random.close();
    }
  });
});
