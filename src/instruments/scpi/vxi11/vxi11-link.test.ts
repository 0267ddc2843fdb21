import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { ManualClock, systemClock } from '../../../core/clock.ts';
import { isBenchtopError } from '../../../core/errors.ts';
import type { LineProtocol } from '../../../sim/line-simulator-server.ts';
import { VirtualLab } from '../../../sim/virtual-lab.ts';
import { TcpTransport } from '../../../transports/tcp-transport.ts';
import { ScpiDmmSimProtocol } from '../scpi-dmm-sim-protocol.ts';
import { lookupPort, Portmapper } from './portmapper.ts';
import { RpcClient } from './rpc-client.ts';
import { Vxi11Link } from './vxi11-link.ts';
import {
  decodeCreateLinkResp,
  decodeReadResp,
  decodeWriteResp,
  encodeCreateLink,
  encodeDeviceRead,
  encodeDeviceWrite,
  OpFlag,
  ReadReason,
  Vxi11,
} from './vxi11-protocol.ts';
import { Vxi11SimulatorServer } from './vxi11-sim-server.ts';

/** Echoes each message back, so long payloads can be checked byte for byte. */
const echo: LineProtocol = { handle: (line) => (line.startsWith('ECHO ') ? line.slice(5) : undefined) };

async function server(protocol: LineProtocol = echo, maxRecvSize = 1024, clock = systemClock) {
  const sim = new Vxi11SimulatorServer('Test', protocol, { maxRecvSize, clock });
  const { port } = await sim.listen(0, '127.0.0.1');
  return { sim, port };
}

const link = (portmapperPort: number, extra: Partial<ConstructorParameters<typeof Vxi11Link>[0]> = {}) =>
  new Vxi11Link({
    host: '127.0.0.1',
    device: 'inst0',
    portmapperPort,
    timeoutMs: 300,
    clock: systemClock,
    readTermination: '\n',
    writeTermination: '\n',
    ...extra,
  });

describe('portmapper lookup', () => {
  it('finds the VXI-11 core channel port', async () => {
    const { sim, port } = await server();
    try {
      const core = await lookupPort({
        host: '127.0.0.1',
        portmapperPort: port,
        prog: Vxi11.CORE_PROG,
        vers: Vxi11.CORE_VERS,
        clock: systemClock,
        timeoutMs: 1000,
      });
      assert.equal(core, sim.corePort);
      assert.notEqual(core, port);
    } finally {
      await sim.close();
    }
  });

  it('a program that is not registered is a clear LINK_LOST', async () => {
    const { sim, port } = await server();
    try {
      await assert.rejects(
        lookupPort({
          host: '127.0.0.1',
          portmapperPort: port,
          prog: 395184,
          vers: 1,
          clock: systemClock,
          timeoutMs: 1000,
        }),
        (e) => isBenchtopError(e, 'LINK_LOST') && /not registered/.test(e.message),
      );
    } finally {
      await sim.close();
    }
  });

  it('a portmapper that is not there is LINK_LOST', async () => {
    const { sim, port } = await server();
    await sim.close();
    await assert.rejects(
      lookupPort({
        host: '127.0.0.1',
        portmapperPort: port,
        prog: Vxi11.CORE_PROG,
        vers: 1,
        clock: systemClock,
        timeoutMs: 1000,
      }),
      (e) => isBenchtopError(e, 'LINK_LOST'),
    );
  });

  it('the wrong program on the portmapper port is refused with PROG_UNAVAIL', async () => {
    const { sim, port } = await server();
    const rpc = new RpcClient(new TcpTransport('127.0.0.1', port), {
      prog: Vxi11.CORE_PROG,
      vers: 1,
      clock: systemClock,
    });
    try {
      await rpc.open();
      await assert.rejects(
        rpc.call(Vxi11.CREATE_LINK, Buffer.alloc(0), 1000, 'create_link'),
        (e) => isBenchtopError(e, 'PROTOCOL_ERROR') && /PROG_UNAVAIL/.test(e.message),
      );
    } finally {
      await rpc.close();
      await sim.close();
    }
  });

  it('NULL procedure answers', async () => {
    const { sim, port } = await server();
    const rpc = new RpcClient(new TcpTransport('127.0.0.1', port), {
      prog: Portmapper.PROG,
      vers: 2,
      clock: systemClock,
    });
    try {
      await rpc.open();
      assert.equal((await rpc.call(Portmapper.PROC_NULL, Buffer.alloc(0), 1000, 'null')).remaining, 0);
    } finally {
      await rpc.close();
      await sim.close();
    }
  });
});

describe('Vxi11Link against the VXI-11 simulator', () => {
  let sim: Vxi11SimulatorServer;
  let port: number;
  before(async () => {
    ({ sim, port } = await server());
  });
  after(() => sim.close());

  it('creates a link, writes in maxRecvSize blocks with END on the last, reads to END, destroys the link', async () => {
    const l = link(port);
    await l.open();
    assert.equal(sim.linkCount, 1);
    const long = 'x'.repeat(2500);
    sim.calls.length = 0;
    assert.equal(await l.query(`ECHO ${long}`), long);
    assert.deepEqual(sim.calls, [
      Vxi11.DEVICE_WRITE,
      Vxi11.DEVICE_WRITE,
      Vxi11.DEVICE_WRITE,
      Vxi11.DEVICE_READ,
    ]);
    await l.close();
    assert.equal(sim.linkCount, 0, 'destroy_link released it');
  });

  it('a device name the instrument does not have fails create_link with a mapped error', async () => {
    const l = link(port, { device: 'gpib0,5' });
    await assert.rejects(l.open(), (e) => isBenchtopError(e, 'LINK_LOST') && e.details.vxi11Error === 21);
    await l.close();
  });

  it('reads a long response in requestSize pieces (REQCNT) until END, or up to the term char (CHR)', async () => {
    const rpc = new RpcClient(new TcpTransport('127.0.0.1', sim.corePort), {
      prog: Vxi11.CORE_PROG,
      vers: 1,
      clock: systemClock,
    });
    await rpc.open();
    try {
      const created = decodeCreateLinkResp(
        await rpc.call(
          Vxi11.CREATE_LINK,
          encodeCreateLink({ clientId: 1, lockDevice: false, lockTimeout: 0, device: 'inst0' }),
          1000,
          'create',
        ),
      );
      assert.equal(created.error, 0);
      assert.equal(created.maxRecvSize, 1024);
      const write = (text: string) =>
        rpc
          .call(
            Vxi11.DEVICE_WRITE,
            encodeDeviceWrite({
              lid: created.lid,
              ioTimeout: 100,
              lockTimeout: 0,
              flags: OpFlag.END,
              data: Buffer.from(text),
            }),
            1000,
            'write',
          )
          .then(decodeWriteResp);
      const read = async (requestSize: number, termChar?: number) =>
        decodeReadResp(
          await rpc.call(
            Vxi11.DEVICE_READ,
            encodeDeviceRead({
              lid: created.lid,
              requestSize,
              ioTimeout: 100,
              lockTimeout: 0,
              flags: termChar === undefined ? 0 : OpFlag.TERMCHRSET,
              termChar: termChar ?? 0,
            }),
            1000,
            'read',
          ),
        );
      assert.deepEqual(await write('ECHO abcdef'), { error: 0, size: 11 });
      const first = await read(4);
      assert.deepEqual([first.data.toString(), first.reason], ['abcd', ReadReason.REQCNT]);
      const rest = await read(100);
      assert.deepEqual([rest.data.toString(), rest.reason], ['ef\n', ReadReason.END]);
      await write('ECHO ab;cd');
      const upTo = await read(100, ';'.charCodeAt(0));
      assert.deepEqual([upTo.data.toString(), upTo.reason], ['ab;', ReadReason.CHR]);
      const tail = await read(100, '\n'.charCodeAt(0));
      assert.deepEqual([tail.data.toString(), tail.reason], ['cd\n', ReadReason.CHR | ReadReason.END]);
      const none = await read(100);
      assert.deepEqual(
        [none.error, none.data.length],
        [15, 0],
        'nothing to read: I/O timeout after io_timeout',
      );
      const badLink = decodeReadResp(
        await rpc.call(
          Vxi11.DEVICE_READ,
          encodeDeviceRead({
            lid: 999,
            requestSize: 10,
            ioTimeout: 0,
            lockTimeout: 0,
            flags: 0,
            termChar: 0,
          }),
          1000,
          'read',
        ),
      );
      assert.equal(badLink.error, 4);
    } finally {
      await rpc.close();
    }
  });

  it('a device that has nothing to say answers I/O timeout: INSTRUMENT_TIMEOUT', async () => {
    const l = link(port);
    await l.open();
    try {
      await assert.rejects(
        l.query('NOTHING'),
        (e) => isBenchtopError(e, 'INSTRUMENT_TIMEOUT') && e.details.vxi11Error === 15,
      );
      assert.equal(await l.query('ECHO still fine'), 'still fine', 'the link survives a device timeout');
    } finally {
      await l.close();
    }
  });

  it('reports the peer closing the link through onLost', async () => {
    const l = link(port);
    await l.open();
    const lost = new Promise((resolve) => l.onLost(resolve));
    sim.dropConnections();
    const error = await lost;
    assert.ok(isBenchtopError(error, 'LINK_LOST'));
    await assert.rejects(l.query('ECHO x'), (e) => isBenchtopError(e, 'LINK_LOST'));
    await l.close();
  });

  it('can skip the portmapper when the core port is known', async () => {
    const l = link(1, { corePort: sim.corePort });
    await l.open();
    assert.equal(await l.query('ECHO direct'), 'direct');
    await l.close();
  });

  it('speaks to the simulated DMM', async () => {
    const lab = new VirtualLab({
      clock: new ManualClock(),
      seed: 1,
      beamWaistMm: 0.5,
      knifeEdgeMm: 0,
      warmupS: 0,
    });
    const dmm = await server(new ScpiDmmSimProtocol(lab));
    const l = link(dmm.port);
    try {
      await l.open();
      assert.match(await l.query('*IDN?'), /^Benchtop,SIM-DMM6500,/);
      await l.write('VOLT:DC:RANG 5000');
      assert.equal(await l.query('SYST:ERR?'), '-222,"Data out of range;range 5000 V (max 1000 V)"');
      assert.deepEqual(dmm.sim.received, ['*IDN?', 'VOLT:DC:RANG 5000', 'SYST:ERR?']);
    } finally {
      await l.close();
      await dmm.sim.close();
    }
  });
});

const vxiError = (code: string, vxi11Error: number) => (e: unknown) =>
  isBenchtopError(e, code as never) && e.details.vxi11Error === vxi11Error;

describe('Vxi11Link: device clear, locking and the abort channel', () => {
  it('device_clear drops a reply nobody read, so the next query gets its own answer', async () => {
    const { sim, port } = await server();
    const l = link(port);
    try {
      await l.open();
      await l.write('ECHO stale');
      sim.calls.length = 0;
      await l.clear();
      assert.deepEqual(sim.calls, [Vxi11.DEVICE_CLEAR]);
      assert.equal(await l.query('ECHO fresh'), 'fresh');
    } finally {
      await l.close();
      await sim.close();
    }
  });

  it('a second link waits its lock_timeout, gets error 11, and gets through once the lock is released', async () => {
    const simClock = new ManualClock();
    const { sim, port } = await server(echo, 1024, simClock);
    const owner = link(port);
    const other = link(port, { lockTimeoutMs: 500 });
    try {
      await owner.open();
      await other.open();
      await owner.lock(1000);
      assert.notEqual(sim.lockHolder, null);
      assert.equal(await owner.query('ECHO mine'), 'mine', 'the holder is not held up by its own lock');

      const refused = assert.rejects(other.query('ECHO theirs'), vxiError('INSTRUMENT_UNAVAILABLE', 11));
      await once(sim.events, 'lock-wait');
      await simClock.advance(499);
      assert.equal(sim.received.at(-1), 'ECHO mine', 'still waiting: nothing of theirs reached the device');
      await simClock.advance(1);
      await refused;

      const waiting = other.query('ECHO theirs');
      await once(sim.events, 'lock-wait');
      await owner.unlock();
      assert.equal(await waiting, 'theirs', 'let in as soon as the holder unlocked');
      assert.equal(sim.lockHolder, null);
      await assert.rejects(other.unlock(), vxiError('PROTOCOL_ERROR', 12));
    } finally {
      await owner.close();
      await other.close();
      await sim.close();
    }
  });

  it('create_link with lockDevice holds the lock for the link lifetime; destroy_link releases it', async () => {
    const { sim, port } = await server();
    const first = link(port, { lockDevice: true });
    const second = link(port, { lockDevice: true, timeoutMs: 50 });
    const plain = link(port);
    try {
      await first.open();
      await plain.open();
      await assert.rejects(second.open(), vxiError('INSTRUMENT_UNAVAILABLE', 11));
      await assert.rejects(
        plain.query('ECHO x'),
        vxiError('INSTRUMENT_UNAVAILABLE', 11),
        'no WAITLOCK: at once',
      );
      await first.close();
      await second.open();
      assert.equal(await second.query('ECHO mine now'), 'mine now');
      await assert.rejects(plain.write('ECHO x'), vxiError('INSTRUMENT_UNAVAILABLE', 11));
    } finally {
      await first.close();
      await second.close();
      await plain.close();
      await sim.close();
    }
  });

  it('device_abort cuts short a read the device never answers; the link works afterwards', async () => {
    const { sim, port } = await server();
    sim.stall({ match: /^HANG/, at: 'read' });
    const l = link(port, { timeoutMs: 60_000 });
    try {
      await l.open();
      const hung = l.query('HANG?');
      await once(sim.events, 'stall');
      await l.abort();
      await assert.rejects(hung, vxiError('LINK_LOST', 23));
      assert.equal(await l.query('ECHO after'), 'after');
    } finally {
      await l.close();
      await sim.close();
    }
  });

  it('when the deadline passes the link aborts the blocked read, so later calls are not stuck behind it', async () => {
    const { sim, port } = await server();
    sim.stall({ match: /^HANG/, at: 'read' });
    const clock = new ManualClock();
    const l = link(port, { timeoutMs: 1000, clock });
    try {
      await l.open();
      const hung = assert.rejects(l.query('HANG?'), (e) => isBenchtopError(e, 'INSTRUMENT_TIMEOUT'));
      await once(sim.events, 'stall');
      const aborted = once(sim.events, 'abort');
      await clock.advance(2000);
      await hung;
      await aborted;
      assert.equal(await l.query('ECHO after'), 'after', 'the core channel is free again');
    } finally {
      await l.close();
      await sim.close();
    }
  });

  it('the open signal aborting (the actor stopping) cancels a stalled device_write', async () => {
    const { sim, port } = await server();
    sim.stall({ match: /^HANG/, at: 'write' });
    const l = link(port, { timeoutMs: 60_000 });
    const lifetime = new AbortController();
    try {
      await l.open(lifetime.signal);
      const hung = l.write('HANG');
      await once(sim.events, 'stall');
      lifetime.abort();
      await assert.rejects(hung, vxiError('LINK_LOST', 23));
      assert.equal(await l.query('ECHO after'), 'after');
    } finally {
      await l.close();
      await sim.close();
    }
  });

  it('close aborts a call still out before destroy_link, so the link is released at once', async () => {
    const { sim, port } = await server();
    sim.stall({ match: /^HANG/, at: 'read' });
    const l = link(port, { timeoutMs: 60_000 });
    await l.open();
    const hung = l.query('HANG?');
    hung.catch(() => {});
    await once(sim.events, 'stall');
    sim.calls.length = 0;
    await l.close();
    assert.equal(sim.linkCount, 0);
    assert.deepEqual(sim.calls, [Vxi11.DEVICE_ABORT, Vxi11.DEVICE_READ, Vxi11.DESTROY_LINK]);
    await assert.rejects(hung);
    await sim.close();
  });
});
