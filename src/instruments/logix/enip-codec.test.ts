import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { isBenchtopError } from '../../core/errors.ts';
import {
  enipFormat,
  FrameLengthError,
  LengthPrefixedFramer,
} from '../../transports/length-prefixed-framer.ts';
import {
  decodeForwardClose,
  decodeForwardOpen,
  decodeForwardOpenReply,
  decodeUnconnectedSend,
  encodeForwardOpen,
  encodeForwardOpenReply,
  encodeUnconnectedSend,
} from './cip-connection-manager.ts';
import { decodeIdentity, encodeIdentity } from './cip-identity.ts';
import {
  CipServices,
  CipStatus,
  decodeMultipleService,
  decodeReply,
  decodeRequest,
  describeCipStatus,
  EXT_TYPE_MISMATCH,
  encodeMultipleService,
  encodeReply,
  encodeRequest,
  multipleServiceStatus,
} from './cip-message.ts';
import { decodePath, encodePath, tagNameOf, tagPath } from './cip-path.ts';
import { decodeSymbolEntries, encodeSymbolEntries, symbolType, symbolTypeParts } from './cip-symbols.ts';
import {
  decodeReadModifyWrite,
  decodeReadTag,
  decodeReadTagFragmented,
  decodeTagValue,
  decodeWriteTag,
  encodeReadTag,
  encodeTagValue,
  encodeWriteTag,
} from './cip-tag-services.ts';
import { CipTypeCodes, cipValueProblem, decodeCipValues, encodeCipValues } from './cip-types.ts';
import {
  CpfItemTypes,
  connectedItems,
  decodeConnectedItems,
  decodeEncap,
  decodeListIdentityItem,
  decodeRegisterSession,
  decodeSendData,
  EncapCommands,
  encodeEncap,
  encodeListIdentityItem,
  encodeSendData,
  unconnectedItems,
} from './enip-encapsulation.ts';

// st-ethernet-ip's own packet builders: an encoder written by someone else, to decode against.
const require = createRequire(import.meta.url);
const { EthernetIP } = require('st-ethernet-ip');
const { encapsulation, CIP } = EthernetIP;

const protocolError = (e: unknown) => isBenchtopError(e, 'PROTOCOL_ERROR');

describe('EtherNet/IP encapsulation', () => {
  it('decodes the RegisterSession a client sends and round-trips header fields', () => {
    const packet = decodeEncap(encapsulation.registerSession());
    assert.equal(packet.command, EncapCommands.RegisterSession);
    assert.deepEqual(decodeRegisterSession(packet.data), { version: 1, options: 0 });
    const context = Buffer.from('ctx12345');
    const again = decodeEncap(
      encodeEncap({
        command: 0x6f,
        session: 0xdeadbeef,
        status: 0x64,
        context,
        options: 0,
        data: Buffer.from([1, 2]),
      }),
    );
    assert.equal(again.session, 0xdeadbeef);
    assert.equal(again.status, 0x64);
    assert.deepEqual(again.context, context);
    assert.deepEqual(again.data, Buffer.from([1, 2]));
  });

  it('decodes SendRRData (Null + UCMM items) and SendUnitData (connection id + sequence) from the client', () => {
    const message = Buffer.from([0x4c, 0x02, 0x91, 0x02, 0x41, 0x42, 0x01, 0x00]);
    const rr = decodeEncap(encapsulation.sendRRData(7, message, 10));
    assert.equal(rr.command, EncapCommands.SendRRData);
    const send = decodeSendData(rr.data);
    assert.equal(send.timeoutS, 10);
    assert.deepEqual(
      send.items.map((i) => i.type),
      [CpfItemTypes.Null, CpfItemTypes.UnconnectedData],
    );
    assert.deepEqual(send.items[1]!.data, message);

    const unit = decodeEncap(encapsulation.sendUnitData(7, message, 0x11223344, 513));
    const connected = decodeConnectedItems(decodeSendData(unit.data).items);
    assert.deepEqual(connected, { connectionId: 0x11223344, sequence: 513, message });
    // And what we encode, the client's parser reads.
    const ours = encodeSendData(connectedItems(0x55, 9, message));
    const parsed = encapsulation.CPF.parse(ours.subarray(6));
    assert.equal(parsed[0].data.readUInt32LE(0), 0x55);
    assert.deepEqual(parsed[1].data.subarray(2), message);
    assert.deepEqual(decodeSendData(encodeSendData(unconnectedItems(message))).items[1]!.data, message);
  });

  it('frames a stream of packets split at every byte and pair of bytes', () => {
    const a = encapsulation.registerSession();
    const b = encapsulation.sendRRData(1, Buffer.from([0x01, 0x02, 0x20, 0x01, 0x24, 0x01]), 10);
    const c = encodeEncap({ command: EncapCommands.ListIdentity });
    const stream = Buffer.concat([a, b, c]);
    for (let i = 0; i <= stream.length; i += 1) {
      for (let j = i; j <= stream.length; j += 3) {
        const frames: Buffer[] = [];
        const framer = new LengthPrefixedFramer(enipFormat, (f) => frames.push(f));
        framer.push(stream.subarray(0, i));
        framer.push(stream.subarray(i, j));
        framer.push(stream.subarray(j));
        assert.deepEqual(
          frames.map((f) => decodeEncap(f).command),
          [0x65, 0x6f, 0x63],
          `split ${i}/${j}`,
        );
      }
    }
  });

  it('refuses bad packets: short header, wrong length, truncated CPF items and connected items', () => {
    assert.throws(() => decodeEncap(Buffer.alloc(10)), protocolError);
    const good = encapsulation.registerSession();
    assert.throws(() => decodeEncap(good.subarray(0, good.length - 1)), protocolError);
    assert.throws(() => decodeSendData(Buffer.from([0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0])), protocolError);
    assert.throws(() => decodeSendData(Buffer.alloc(3)), protocolError);
    assert.throws(() => decodeConnectedItems(unconnectedItems(Buffer.alloc(4))), protocolError);
    const framer = new LengthPrefixedFramer({ ...enipFormat, maxFrameBytes: 600 }, () => {});
    const huge = Buffer.alloc(24);
    huge.writeUInt16LE(1000, 2);
    assert.throws(() => framer.push(huge), FrameLengthError);
  });

  it('round-trips the ListIdentity identity item with its big-endian socket address', () => {
    const item = {
      encapsulationVersion: 1,
      address: '127.0.0.21',
      port: 44818,
      vendorId: 1,
      deviceType: 14,
      productCode: 55,
      revision: { major: 32, minor: 11 },
      status: 0x0060,
      serialNumber: 0xc0ffee01,
      productName: '1756-L83E/B',
      state: 3,
    };
    const bytes = encodeListIdentityItem(item);
    assert.equal(bytes.readUInt16BE(4), 44818);
    assert.deepEqual([...bytes.subarray(6, 10)], [127, 0, 0, 21]);
    assert.deepEqual(decodeListIdentityItem(bytes), item);
    assert.throws(() => decodeListIdentityItem(bytes.subarray(0, 30)), protocolError);
  });
});

describe('CIP paths', () => {
  it('decodes tag paths as st-ethernet-ip builds them: dotted symbols, padded odd names, 8/16/32-bit elements', () => {
    const build = (s: string) => CIP.EPATH.segments.DATA.build(s);
    const raw = Buffer.concat([
      build('Line'),
      build('State'),
      build('Temps'),
      build('3'),
      build('300'),
      build('70000'),
    ]);
    assert.deepEqual(decodePath(raw), [
      { kind: 'symbol', name: 'Line' },
      { kind: 'symbol', name: 'State' },
      { kind: 'symbol', name: 'Temps' },
      { kind: 'element', index: 3 },
      { kind: 'element', index: 300 },
      { kind: 'element', index: 70000 },
    ]);
    assert.equal(tagNameOf(decodePath(Buffer.concat([build('Temps'), build('3')]))), 'Temps[3]');
    assert.equal(tagNameOf(tagPath('Program:Main.Motor.Speed')), 'Program:Main.Motor.Speed');
    assert.equal(tagNameOf(tagPath('Grid[1,2]')), 'Grid[1,2]');
    assert.deepEqual(encodePath(tagPath('Line.State')), Buffer.concat([build('Line'), build('State')]));
  });

  it('decodes logical and port segments (class, 16-bit instance, attribute, backplane slot)', () => {
    const { LOGICAL, PORT } = CIP.EPATH.segments;
    const raw = Buffer.concat([
      PORT.build(1, 3),
      LOGICAL.build(LOGICAL.types.ClassID, 0x6b),
      LOGICAL.build(LOGICAL.types.InstanceID, 0x1234),
      LOGICAL.build(LOGICAL.types.AttributeID, 2),
    ]);
    const segments = decodePath(raw);
    assert.deepEqual(segments, [
      { kind: 'port', port: 1, link: 3 },
      { kind: 'class', id: 0x6b },
      { kind: 'instance', id: 0x1234 },
      { kind: 'attribute', id: 2 },
    ]);
    assert.deepEqual(encodePath(segments), raw);
    assert.equal(tagNameOf(segments), null);
  });

  it('refuses truncated and unknown segments', () => {
    assert.throws(() => decodePath(Buffer.from([0x91, 0x05, 0x41])), protocolError);
    assert.throws(() => decodePath(Buffer.from([0x29, 0x00, 0x01])), protocolError);
    assert.throws(() => decodePath(Buffer.from([0x80, 0x01])), protocolError);
  });
});

describe('CIP Message Router and services', () => {
  it('decodes the client requests for Read Tag, Unconnected Send, Forward Open and Forward Close', () => {
    const tag = new (require('st-ethernet-ip').Tag)('Temps[2]');
    const read = decodeRequest(tag.generateReadMessageRequest(4));
    assert.equal(read.service, CipServices.ReadTag);
    assert.equal(tagNameOf(decodePath(read.path)), 'Temps[2]');
    assert.deepEqual(decodeReadTag(read.data), { elements: 4 });
    assert.deepEqual(decodeReadTagFragmented(decodeRequest(tag.generateReadMessageRequestFrag(8, 4)).data), {
      elements: 4,
      offset: 8,
    });

    const route = CIP.EPATH.segments.PORT.build(1, 0);
    const ucmm = decodeRequest(CIP.UnconnectedSend.build(tag.generateReadMessageRequest(1), route, 2000));
    assert.equal(ucmm.service, CipServices.UnconnectedSend);
    const unwrapped = decodeUnconnectedSend(ucmm.data);
    assert.deepEqual(unwrapped.routePath, route);
    assert.equal(decodeRequest(unwrapped.embedded).service, CipServices.ReadTag);
    // Our own encoder, with an odd-length embedded request (pad byte), decodes the same way.
    const odd = encodeRequest(0x4c, encodePath(tagPath('ABC')), encodeReadTag(1)).subarray(0, 9);
    assert.deepEqual(
      decodeUnconnectedSend(decodeRequest(encodeUnconnectedSend(odd, route)).data).embedded,
      odd,
    );

    const fo = CIP.ConnectionManager.build_forwardOpen(30000, 0x43f4, 1000, 512, 0x77, 0xabcdef);
    const opened = decodeForwardOpen(Buffer.concat([fo, Buffer.from([2]), route, Buffer.from([0x20, 0x02])]));
    assert.equal(opened.toConnectionId, 0xabcdef);
    assert.equal(opened.connectionSerial, 0x77);
    assert.equal(opened.otRpiUs, 30000);
    assert.deepEqual(opened.connectionPath, Buffer.concat([route, Buffer.from([0x20, 0x02])]));
    assert.deepEqual(decodeForwardOpen(encodeForwardOpen(opened)), opened);

    const fc = CIP.ConnectionManager.build_forwardClose(1000, 0x3333, 0x1337, 0x77);
    const closed = decodeForwardClose(Buffer.concat([fc, Buffer.from([1, 0]), route]));
    assert.deepEqual(
      { serial: closed.connectionSerial, vendor: closed.vendorId, originator: closed.originatorSerial },
      { serial: 0x77, vendor: 0x3333, originator: 0x1337 },
    );
  });

  it('encodes replies the client parses: status, extended status, data', () => {
    const reply = encodeReply({ service: 0x4d, status: 0xff, extended: [EXT_TYPE_MISMATCH] });
    const parsed = CIP.MessageRouter.parse(reply);
    assert.equal(parsed.service, 0xcd);
    assert.equal(parsed.generalStatusCode, 0xff);
    assert.deepEqual(parsed.extendedStatus, [EXT_TYPE_MISMATCH]);
    assert.deepEqual(decodeReply(reply), {
      service: 0x4d,
      status: 0xff,
      extended: [EXT_TYPE_MISMATCH],
      data: Buffer.alloc(0),
    });
    assert.match(describeCipStatus(0xff, [EXT_TYPE_MISMATCH]), /type mismatch/);
    assert.match(describeCipStatus(0x04), /unknown tag/);
    assert.throws(() => decodeReply(Buffer.from([0x4c, 0, 0, 0])), protocolError);
    assert.throws(() => decodeReply(Buffer.from([0xcc, 0, 0, 2, 0])), protocolError);
    assert.throws(() => decodeRequest(Buffer.from([0x4c, 3, 0x91])), protocolError);

    const fo = encodeForwardOpenReply({
      otConnectionId: 0x01020304,
      toConnectionId: 9,
      connectionSerial: 0x77,
      vendorId: 0x3333,
      originatorSerial: 0x1337,
      otApiUs: 30000,
      toApiUs: 30000,
    });
    assert.equal(decodeForwardOpenReply(fo).otConnectionId, 0x01020304);
  });

  it('round-trips Identity, the symbol list, tag values, writes and Read-Modify-Write masks', () => {
    const identity = {
      vendorId: 1,
      deviceType: 14,
      productCode: 166,
      revision: { major: 33, minor: 11 },
      status: 0x0060,
      serialNumber: 0x00c0ffee,
      productName: '1756-L83E/B LOGIX5583E',
    };
    assert.deepEqual(decodeIdentity(encodeIdentity(identity)), identity);

    const entries = [
      { instance: 1, name: 'Line.State', type: symbolType(CipTypeCodes.DINT) },
      { instance: 0x1234, name: 'Temps', type: symbolType(CipTypeCodes.REAL, 1) },
    ];
    assert.deepEqual(decodeSymbolEntries(encodeSymbolEntries(entries)), entries);
    assert.deepEqual(symbolTypeParts(entries[1]!.type), { typeCode: 0xca, dimensions: 1, structure: false });
    assert.throws(() => decodeSymbolEntries(encodeSymbolEntries(entries).subarray(0, 20)), protocolError);

    const value = decodeTagValue(encodeTagValue(0xca, encodeCipValues('REAL', [1.5, -2.25])));
    assert.deepEqual(decodeCipValues('REAL', value.bytes), [1.5, -2.25]);

    // The client's write request, decoded; and ours, with an offset, for the fragmented service.
    const tag = new (require('st-ethernet-ip').Tag)('Count', null, CipTypeCodes.DINT);
    const write = decodeWriteTag(decodeRequest(tag.generateWriteMessageRequest(-7)).data, false);
    assert.equal(write.typeCode, CipTypeCodes.DINT);
    assert.equal(write.elements, 1);
    assert.deepEqual(decodeCipValues('DINT', write.bytes), [-7]);
    const frag = encodeWriteTag({
      typeCode: 0xca,
      elements: 10,
      offset: 16,
      bytes: encodeCipValues('REAL', [3]),
    });
    assert.equal(decodeWriteTag(frag, true).offset, 16);
    assert.throws(() => decodeWriteTag(Buffer.alloc(3), false), protocolError);

    const bit = new (require('st-ethernet-ip').Tag)('Flags.3', null, CipTypeCodes.DINT);
    const rmw = decodeRequest(bit.generateWriteMessageRequest(true));
    assert.equal(rmw.service, CipServices.ReadModifyWrite);
    const masks = decodeReadModifyWrite(rmw.data);
    assert.equal(masks.orMask.readInt32LE(0), 8);
    assert.equal(masks.andMask.readInt32LE(0), -1);
    assert.throws(() => decodeReadModifyWrite(Buffer.from([3, 0, 1, 2, 3, 4, 5, 6])), protocolError);
  });

  it('packs a Multiple Service Packet; the overall status is 0x1E when one embedded reply fails', () => {
    const ok = encodeReply({ service: 0x4c, data: encodeTagValue(0xc4, encodeCipValues('DINT', [5])) });
    const bad = encodeReply({ service: 0x4c, status: CipStatus.PathSegmentError, extended: [0] });
    const packed = encodeMultipleService([ok, bad]);
    assert.deepEqual(decodeMultipleService(packed), [ok, bad]);
    assert.equal(multipleServiceStatus([ok, bad]), 0x1e);
    assert.equal(multipleServiceStatus([ok, ok]), 0);
    // The client reads our reply as two responses, the second with status 4.
    const controller = new (require('st-ethernet-ip').Controller)(false);
    let seen: { error: unknown; responses: { generalStatusCode: number }[] } | null = null;
    controller.on('Multiple Service Packet', (error: unknown, responses: { generalStatusCode: number }[]) => {
      seen = { error, responses };
    });
    const reply = encodeReply({ service: 0x0a, status: 0x1e, data: packed });
    controller._handleSendRRDataReceived([
      { TypeID: 0, data: Buffer.alloc(0) },
      { TypeID: 0xb2, data: reply },
    ]);
    assert.deepEqual(
      seen!.responses.map((r) => r.generalStatusCode),
      [0, 4],
    );
    const broken = Buffer.from(packed);
    broken.writeUInt16LE(200, 4);
    assert.throws(() => decodeMultipleService(broken), protocolError);
  });
});

describe('CIP types', () => {
  it('encodes and decodes every elementary type, little-endian', () => {
    assert.deepEqual(encodeCipValues('BOOL', [true, false]), Buffer.from([0xff, 0]));
    assert.deepEqual(decodeCipValues('BOOL', Buffer.from([1, 0, 0xff])), [true, false, true]);
    assert.deepEqual(decodeCipValues('SINT', encodeCipValues('SINT', [-128, 127])), [-128, 127]);
    assert.deepEqual(decodeCipValues('INT', encodeCipValues('INT', [-32768, 32767])), [-32768, 32767]);
    assert.deepEqual(encodeCipValues('DINT', [0x01020304]), Buffer.from([4, 3, 2, 1]));
    assert.deepEqual(decodeCipValues('LINT', encodeCipValues('LINT', [-(2n ** 63n)])), [-(2n ** 63n)]);
    assert.deepEqual(decodeCipValues('REAL', encodeCipValues('REAL', [0.5])), [0.5]);
    assert.deepEqual(decodeCipValues('LREAL', encodeCipValues('LREAL', [Math.PI])), [Math.PI]);
    assert.throws(() => decodeCipValues('DINT', Buffer.alloc(6), 2), protocolError);
  });

  it("checks values against the type's range", () => {
    assert.equal(cipValueProblem('DINT', 2147483647), null);
    assert.match(cipValueProblem('DINT', 2147483648) ?? '', /outside DINT/);
    assert.match(cipValueProblem('SINT', -129) ?? '', /outside SINT/);
    assert.match(cipValueProblem('INT', 1.5) ?? '', /integer/);
    assert.match(cipValueProblem('BOOL', 1) ?? '', /true or false/);
    assert.match(cipValueProblem('REAL', 1e39) ?? '', /overflows/);
    assert.match(cipValueProblem('LREAL', Number.NaN) ?? '', /finite/);
    assert.equal(cipValueProblem('LREAL', 1e300), null);
  });
});
