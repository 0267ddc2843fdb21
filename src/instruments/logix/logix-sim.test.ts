import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '../../core/clock.ts';
import { ProductionLine } from '../../sim/production-line.ts';
import { enipFormat, LengthPrefixedFramer } from '../../transports/length-prefixed-framer.ts';
import {
  decodeForwardOpenReply,
  encodeForwardOpen,
  encodeUnconnectedSend,
} from './cip-connection-manager.ts';
import {
  CipServices,
  CONNECTION_MANAGER_PATH,
  decodeMultipleService,
  decodeReply,
  EXT_TYPE_MISMATCH,
  encodeMultipleService,
  encodeRequest,
  MESSAGE_ROUTER_PATH,
} from './cip-message.ts';
import { encodePath, tagPath } from './cip-path.ts';
import { decodeSymbolEntries, encodeSymbolListRequest } from './cip-symbols.ts';
import { decodeTagValue, encodeReadTag, encodeWriteTag } from './cip-tag-services.ts';
import { decodeCipValues, encodeCipValues } from './cip-types.ts';
import {
  connectedItems,
  decodeConnectedItems,
  decodeCpf,
  decodeEncap,
  decodeListIdentityItem,
  decodeSendData,
  EncapCommands,
  type EncapPacket,
  encodeEncap,
  encodeRegisterSession,
  encodeSendData,
  unconnectedItems,
} from './enip-encapsulation.ts';
import { createLinePlcSimulator } from './line-plc-simulator.ts';
import type { LogixSimServer } from './logix-sim-server.ts';

/** A bare EtherNet/IP client on our own codec: every packet the simulator sends, in order. */
class RawClient {
  readonly socket: Socket;
  readonly packets: EncapPacket[] = [];
  session = 0;
  private waiters: (() => void)[] = [];

  constructor(socket: Socket) {
    this.socket = socket;
    const framer = new LengthPrefixedFramer(enipFormat, (f) => {
      this.packets.push(decodeEncap(f));
      for (const w of this.waiters.splice(0)) w();
    });
    socket.on('data', (chunk) => framer.push(chunk));
  }

  static async open(port: number): Promise<RawClient> {
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    return new RawClient(socket);
  }

  async next(): Promise<EncapPacket> {
    while (this.packets.length === 0) await new Promise<void>((r) => this.waiters.push(r));
    return this.packets.shift()!;
  }

  async register(): Promise<void> {
    this.socket.write(encodeEncap({ command: EncapCommands.RegisterSession, data: encodeRegisterSession() }));
    this.session = (await this.next()).session;
  }

  rr(message: Buffer): Buffer {
    return encodeEncap({
      command: EncapCommands.SendRRData,
      session: this.session,
      data: encodeSendData(unconnectedItems(message)),
    });
  }

  /** Sends an unconnected request and returns the CIP reply. */
  async ask(message: Buffer) {
    this.socket.write(this.rr(message));
    const packet = await this.next();
    assert.equal(packet.status, 0);
    return decodeReply(decodeSendData(packet.data).items[1]!.data);
  }
}

const readTag = (name: string, elements = 1) =>
  encodeRequest(CipServices.ReadTag, encodePath(tagPath(name)), encodeReadTag(elements));
const slot0 = Buffer.from([0x01, 0x00]);

describe('Logix simulator on the wire', () => {
  let clock: ManualClock;
  let line: ProductionLine;
  let sim: LogixSimServer;
  let port: number;
  before(async () => {
    clock = new ManualClock();
    line = new ProductionLine({ clock, idealCycleMs: 1000, jitter: 0 });
    sim = createLinePlcSimulator({ clock, line, portForZero: 0 });
    port = (await sim.listen(0, '127.0.0.1')).port;
  });
  after(async () => {
    line.dispose();
    await sim.close();
  });

  it('answers ListIdentity and refuses requests without a registered session (0x64)', async () => {
    const client = await RawClient.open(port);
    client.socket.write(encodeEncap({ command: EncapCommands.ListIdentity }));
    const identity = await client.next();
    const item = decodeCpf(identity.data)[0]!;
    assert.equal(decodeListIdentityItem(item.data).productName, '1756-L83E/B');
    client.socket.write(client.rr(readTag('Line.State')));
    assert.equal((await client.next()).status, 0x64);
    client.socket.write(encodeEncap({ command: 0x99 }));
    assert.equal((await client.next()).status, 0x01);
    client.socket.destroy();
  });

  it('answers two requests that arrive in one chunk in order, each reply one whole packet in its own write', async () => {
    const client = await RawClient.open(port);
    await client.register();
    const writesBefore = sim.replyWrites.length;
    client.socket.write(
      Buffer.concat([client.rr(readTag('Part.Counter')), client.rr(readTag('Line.State'))]),
    );
    const first = decodeReply(decodeSendData((await client.next()).data).items[1]!.data);
    const second = decodeReply(decodeSendData((await client.next()).data).items[1]!.data);
    assert.deepEqual([first.status, second.status], [0, 0]);
    const writes = sim.replyWrites.slice(writesBefore);
    assert.equal(writes.length, 2);
    for (const w of writes)
      assert.equal(w.length, 24 + w.readUInt16LE(2), 'exactly one encapsulation packet');
    client.socket.destroy();
  });

  it('gives CIP statuses: 0x05 for a wrong slot, 0xFF/0x2107 for a type mismatch, 0x1E in a Multiple Service Packet', async () => {
    const client = await RawClient.open(port);
    await client.register();
    const wrongSlot = await client.ask(
      encodeUnconnectedSend(readTag('Line.State'), Buffer.from([0x01, 0x03])),
    );
    assert.equal(wrongSlot.status, 0x05);
    const routed = await client.ask(encodeUnconnectedSend(readTag('Line.State'), slot0));
    assert.equal(routed.status, 0);
    assert.equal(routed.service, CipServices.ReadTag);

    const mismatch = await client.ask(
      encodeRequest(
        CipServices.WriteTag,
        encodePath(tagPath('Part.Counter')),
        encodeWriteTag({ typeCode: 0xca, elements: 1, bytes: encodeCipValues('REAL', [1]) }),
      ),
    );
    assert.deepEqual([mismatch.status, mismatch.extended], [0xff, [EXT_TYPE_MISMATCH]]);

    const multi = await client.ask(
      encodeRequest(
        CipServices.MultipleServicePacket,
        MESSAGE_ROUTER_PATH,
        encodeMultipleService([readTag('Part.Counter'), readTag('Missing.Tag'), readTag('Temps[9]')]),
      ),
    );
    assert.equal(multi.status, 0x1e);
    const replies = decodeMultipleService(multi.data).map(decodeReply);
    assert.deepEqual(
      replies.map((r) => r.status),
      [0, 0x04, 0],
    );
    assert.equal(decodeTagValue(replies[2]!.data).typeCode, 0xca);
    const beyond = await client.ask(readTag('Temps[5]', 6));
    assert.deepEqual([beyond.status, beyond.extended], [0xff, [0x2105]]);
    client.socket.destroy();
  });

  it('lists symbols in pieces with 0x06 and the next instance', async () => {
    const client = await RawClient.open(port);
    await client.register();
    const names: string[] = [];
    let start = 0;
    let pieces = 0;
    for (;;) {
      const path = Buffer.from([0x20, 0x6b, 0x25, 0x00, start & 0xff, start >> 8]);
      const reply = await client.ask(
        encodeRequest(CipServices.GetInstanceAttributeList, path, encodeSymbolListRequest()),
      );
      const entries = decodeSymbolEntries(reply.data);
      names.push(...entries.map((e) => e.name));
      pieces++;
      if (reply.status !== 0x06) break;
      start = entries[entries.length - 1]!.instance + 1;
    }
    assert.equal(names.length, sim.controller.db.list().length);
    assert.ok(names.includes('Quality.Result'));
    // 22 tags with their names do not fit one 480-byte reply.
    assert.ok(pieces >= 2, `${pieces} pieces`);
    client.socket.destroy();
  });

  it('a program download drops the CIP connection: connected requests go unanswered, symbols renumbered', async () => {
    const client = await RawClient.open(port);
    await client.register();
    const fo = encodeForwardOpen({
      tickTime: 3,
      ticks: 250,
      otConnectionId: 0,
      toConnectionId: 0x4242,
      connectionSerial: 7,
      vendorId: 0x3333,
      originatorSerial: 0x1337,
      timeoutMultiplier: 1,
      otRpiUs: 30000,
      otParameters: 0x43f4,
      toRpiUs: 30000,
      toParameters: 0x43f4,
      transportTrigger: 0xa3,
      connectionPath: Buffer.from([0x01, 0x00, 0x20, 0x02, 0x24, 0x01]),
    });
    const opened = await client.ask(encodeRequest(CipServices.ForwardOpen, CONNECTION_MANAGER_PATH, fo));
    const connection = decodeForwardOpenReply(opened.data);
    const unit = (seq: number) =>
      encodeEncap({
        command: EncapCommands.SendUnitData,
        session: client.session,
        data: encodeSendData(connectedItems(connection.otConnectionId, seq, readTag('Part.Counter'))),
      });
    client.socket.write(unit(1));
    const answer = decodeConnectedItems(decodeSendData((await client.next()).data).items);
    assert.equal(answer.connectionId, 0x4242);
    assert.equal(answer.sequence, 1);
    assert.deepEqual(decodeCipValues('DINT', decodeTagValue(decodeReply(answer.message).data).bytes), [0]);

    const instanceBefore = sim.controller.db.get('Line.State')!.instance;
    sim.simulateProgramDownload(2000);
    client.socket.write(unit(2));
    // Unconnected traffic still gets answers, so a reply to this proves the connected one was dropped.
    const identity = await client.ask(
      encodeRequest(CipServices.GetAttributeAll, Buffer.from([0x20, 0x01, 0x24, 0x01])),
    );
    assert.equal(identity.data.readUInt16LE(8), 0x0070, 'program mode while downloading');
    assert.equal(client.packets.length, 0);
    assert.equal(sim.staleConnectedRequests, 1);
    assert.notEqual(sim.controller.db.get('Line.State')!.instance, instanceBefore);
    await clock.advance(2000);
    const after = await client.ask(
      encodeRequest(CipServices.GetAttributeAll, Buffer.from([0x20, 0x01, 0x24, 0x01])),
    );
    assert.equal(after.data.readUInt16LE(8), 0x0060);
    client.socket.destroy();
  });

  it('answers garbage items with encapsulation status 0x03 and keeps the connection', async () => {
    const client = await RawClient.open(port);
    await client.register();
    client.socket.write(
      encodeEncap({
        command: EncapCommands.SendRRData,
        session: client.session,
        data: Buffer.from([0, 0, 0, 0, 0, 0, 5, 0]),
      }),
    );
    assert.equal((await client.next()).status, 0x03);
    const ok = await client.ask(readTag('Line.State'));
    assert.equal(ok.status, 0);
    client.socket.destroy();
  });
});
