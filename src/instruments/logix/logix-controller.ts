import { isBenchtopError } from '../../core/errors.ts';
import {
  decodeForwardClose,
  decodeForwardOpen,
  decodeUnconnectedSend,
  encodeForwardCloseReply,
  encodeForwardOpenReply,
} from './cip-connection-manager.ts';
import { encodeIdentity } from './cip-identity.ts';
import {
  CipServices,
  CipStatus,
  CONNECTION_MANAGER_PATH,
  decodeMultipleService,
  decodeRequest,
  EXT_TYPE_MISMATCH,
  encodeMultipleService,
  encodeReply,
  IDENTITY_PATH,
  MESSAGE_ROUTER_PATH,
  multipleServiceStatus,
} from './cip-message.ts';
import { decodePath, type PathSegment, tagNameOf } from './cip-path.ts';
import { encodeSymbolEntries, SYMBOL_CLASS, symbolType } from './cip-symbols.ts';
import {
  decodeReadModifyWrite,
  decodeReadTag,
  decodeReadTagFragmented,
  decodeWriteTag,
  encodeTagValue,
} from './cip-tag-services.ts';
import { CipTypeCodes } from './cip-types.ts';
import type { ControllerTag, LogixTagDatabase } from './logix-tag-database.ts';

/** Extended status with 0xFF: the request reaches past the end of the array (Logix 0x2105). */
const EXT_OUT_OF_RANGE = 0x2105;

export interface LogixIdentity {
  vendorId: number;
  deviceType: number;
  productCode: number;
  revision: { major: number; minor: number };
  serialNumber: number;
  productName: string;
}

export interface LogixConnection {
  /** The id the originator sends with (we chose it). */
  otConnectionId: number;
  /** The id we send replies with (the originator chose it). */
  toConnectionId: number;
  connectionSerial: number;
  vendorId: number;
  originatorSerial: number;
}

export interface LogixControllerOptions {
  identity: LogixIdentity;
  /** Backplane slot the controller sits in; Unconnected Send routed elsewhere gets 0x05. */
  slot: number;
  /** Data bytes one reply may carry before 0x06 (partial transfer) says "ask for the rest". */
  maxReplyData?: number;
}

/**
 * The CIP side of a simulated ControlLogix controller: answers Message Router requests
 * against its tag database as a 1756-L8x does (Logix status codes, partial transfers,
 * fragmented services, Multiple Service Packet, the Connection Manager's Forward Open/Close
 * and Unconnected Send). No sockets: LogixSimServer carries its requests and replies.
 */
export class LogixController {
  readonly db: LogixTagDatabase;
  readonly options: LogixControllerOptions;
  /** Program mode while a download is in progress (identity status 0x0070 instead of 0x0060). */
  programMode = false;
  private readonly connections = new Map<number, LogixConnection>();
  private nextConnectionId = 0x10000001;
  private readonly maxReplyData: number;

  constructor(db: LogixTagDatabase, options: LogixControllerOptions) {
    this.db = db;
    this.options = options;
    this.maxReplyData = options.maxReplyData ?? 480;
  }

  connection(otConnectionId: number): LogixConnection | undefined {
    return this.connections.get(otConnectionId);
  }

  get openConnections(): number {
    return this.connections.size;
  }

  /** A program download drops every CIP connection: the originators' ids mean nothing afterwards. */
  dropConnections(): void {
    this.connections.clear();
  }

  /** One request in, one reply out (a reply always: errors become CIP status codes). */
  handle(message: Buffer): Buffer {
    let service = message.length > 0 ? message.readUInt8(0) : 0;
    try {
      const request = decodeRequest(message);
      service = request.service;
      return this.dispatch(request.service, request.path, request.data);
    } catch (error) {
      if (isBenchtopError(error, 'PROTOCOL_ERROR')) {
        return encodeReply({ service, status: CipStatus.NotEnoughData });
      }
      throw error;
    }
  }

  private dispatch(service: number, rawPath: Buffer, data: Buffer): Buffer {
    let path: PathSegment[];
    try {
      path = decodePath(rawPath);
    } catch {
      return encodeReply({ service, status: CipStatus.PathSegmentError, extended: [0] });
    }
    const tagName = tagNameOf(path);
    if (tagName !== null) return this.tagService(service, path, data);
    if (rawPath.equals(CONNECTION_MANAGER_PATH)) return this.connectionManager(service, data);
    if (rawPath.equals(MESSAGE_ROUTER_PATH) && service === CipServices.MultipleServicePacket) {
      const replies = decodeMultipleService(data).map((m) => this.handle(m));
      return encodeReply({
        service,
        status: multipleServiceStatus(replies),
        data: encodeMultipleService(replies),
      });
    }
    if (rawPath.equals(IDENTITY_PATH)) {
      if (service !== CipServices.GetAttributeAll)
        return encodeReply({ service, status: CipStatus.ServiceNotSupported });
      const id = this.options.identity;
      return encodeReply({
        service,
        data: encodeIdentity({ ...id, status: this.programMode ? 0x0070 : 0x0060 }),
      });
    }
    const symbolClass = symbolClassStart(path);
    if (symbolClass !== null && service === CipServices.GetInstanceAttributeList) {
      return this.symbolList(symbolClass.program, symbolClass.start);
    }
    return encodeReply({ service, status: CipStatus.PathDestinationUnknown, extended: [0] });
  }

  private connectionManager(service: number, data: Buffer): Buffer {
    if (service === CipServices.UnconnectedSend) {
      const send = decodeUnconnectedSend(data);
      const route = decodePath(send.routePath);
      const hop = route[0];
      if (route.length !== 1 || hop?.kind !== 'port' || hop.port !== 1 || hop.link !== this.options.slot) {
        // Nothing in that slot: the Connection Manager cannot deliver the embedded request.
        const embedded = send.embedded.length > 0 ? send.embedded.readUInt8(0) : service;
        return encodeReply({ service: embedded, status: CipStatus.PathDestinationUnknown, extended: [0] });
      }
      // Unwrapped: the originator gets the embedded request's reply, as from a real controller.
      return this.handle(send.embedded);
    }
    if (service === CipServices.ForwardOpen) {
      const open = decodeForwardOpen(data);
      const connection: LogixConnection = {
        otConnectionId: this.nextConnectionId++,
        toConnectionId: open.toConnectionId,
        connectionSerial: open.connectionSerial,
        vendorId: open.vendorId,
        originatorSerial: open.originatorSerial,
      };
      this.connections.set(connection.otConnectionId, connection);
      return encodeReply({
        service,
        data: encodeForwardOpenReply({ ...connection, otApiUs: open.otRpiUs, toApiUs: open.toRpiUs }),
      });
    }
    if (service === CipServices.ForwardClose) {
      const close = decodeForwardClose(data);
      for (const [id, c] of this.connections) {
        if (
          c.connectionSerial === close.connectionSerial &&
          c.vendorId === close.vendorId &&
          c.originatorSerial === close.originatorSerial
        ) {
          this.connections.delete(id);
        }
      }
      return encodeReply({ service, data: encodeForwardCloseReply(close) });
    }
    return encodeReply({ service, status: CipStatus.ServiceNotSupported });
  }

  private symbolList(program: string | null, start: number): Buffer {
    // Program-scoped tags: the simulated controller keeps every tag at controller scope.
    const tags = program === null ? this.db.list().filter((t) => t.instance >= start) : [];
    const chunks: Buffer[] = [];
    let size = 0;
    for (const tag of tags) {
      const entry = encodeSymbolEntries([
        {
          instance: tag.instance,
          name: tag.name,
          type: symbolType(CipTypeCodes[tag.type], tag.isArray ? 1 : 0),
        },
      ]);
      if (size + entry.length > this.maxReplyData) {
        return encodeReply({
          service: CipServices.GetInstanceAttributeList,
          status: CipStatus.PartialTransfer,
          data: Buffer.concat(chunks),
        });
      }
      chunks.push(entry);
      size += entry.length;
    }
    return encodeReply({ service: CipServices.GetInstanceAttributeList, data: Buffer.concat(chunks) });
  }

  private tagService(service: number, path: PathSegment[], data: Buffer): Buffer {
    const found = this.resolve(path);
    if (!found) return encodeReply({ service, status: CipStatus.PathSegmentError, extended: [0] });
    const { tag, index } = found;
    switch (service) {
      case CipServices.ReadTag: {
        this.db.beforeRead(tag);
        const { elements } = decodeReadTag(data);
        return this.readReply(service, tag, index, elements, 0);
      }
      case CipServices.ReadTagFragmented: {
        if (decodeReadTagFragmented(data).offset === 0) this.db.beforeRead(tag);
        const { elements, offset } = decodeReadTagFragmented(data);
        return this.readReply(service, tag, index, elements, offset);
      }
      case CipServices.WriteTag:
      case CipServices.WriteTagFragmented: {
        const fragmented = service === CipServices.WriteTagFragmented;
        const write = decodeWriteTag(data, fragmented);
        if (write.typeCode !== CipTypeCodes[tag.type]) {
          return encodeReply({ service, status: CipStatus.GeneralError, extended: [EXT_TYPE_MISMATCH] });
        }
        if (index + write.elements > tag.elements) {
          return encodeReply({ service, status: CipStatus.GeneralError, extended: [EXT_OUT_OF_RANGE] });
        }
        const start = index * tag.elementSize + (write.offset ?? 0);
        const end = fragmented ? start + write.bytes.length : start + write.elements * tag.elementSize;
        if (end > (index + write.elements) * tag.elementSize) {
          return encodeReply({ service, status: CipStatus.TooMuchData });
        }
        if (write.bytes.length < end - start)
          return encodeReply({ service, status: CipStatus.NotEnoughData });
        write.bytes.copy(tag.bytes, start, 0, end - start);
        this.db.clientWrote(tag);
        return encodeReply({ service });
      }
      case CipServices.ReadModifyWrite: {
        const { orMask, andMask } = decodeReadModifyWrite(data);
        if (tag.type === 'REAL' || tag.type === 'LREAL' || orMask.length > tag.elementSize) {
          return encodeReply({ service, status: CipStatus.GeneralError, extended: [EXT_TYPE_MISMATCH] });
        }
        const at = index * tag.elementSize;
        for (let i = 0; i < orMask.length; i++) {
          const old = tag.bytes.readUInt8(at + i);
          tag.bytes.writeUInt8((old | orMask.readUInt8(i)) & andMask.readUInt8(i), at + i);
        }
        this.db.clientWrote(tag);
        return encodeReply({ service });
      }
      default:
        return encodeReply({ service, status: CipStatus.ServiceNotSupported });
    }
  }

  /**
   * A read of `elements` from `index`, starting `offset` bytes in: what fits in one reply, with
   * 0x06 when more remains (the originator continues with Read Tag Fragmented at the new offset).
   */
  private readReply(
    service: number,
    tag: ControllerTag,
    index: number,
    elements: number,
    offset: number,
  ): Buffer {
    if (elements < 1 || index + elements > tag.elements) {
      return encodeReply({ service, status: CipStatus.GeneralError, extended: [EXT_OUT_OF_RANGE] });
    }
    const begin = index * tag.elementSize + offset;
    const end = (index + elements) * tag.elementSize;
    if (begin > end) return encodeReply({ service, status: CipStatus.InvalidParameter });
    const room = Math.floor(this.maxReplyData / tag.elementSize) * tag.elementSize;
    const stop = Math.min(end, begin + room);
    return encodeReply({
      service,
      status: stop < end ? CipStatus.PartialTransfer : CipStatus.Success,
      data: encodeTagValue(CipTypeCodes[tag.type], tag.bytes.subarray(begin, stop)),
    });
  }

  /** `Temps[3]` → the Temps array from element 3; `Line.State` → that tag (dotted names are flat here). */
  private resolve(path: PathSegment[]): { tag: ControllerTag; index: number } | null {
    const name = tagNameOf(path);
    if (name === null) return null;
    const whole = this.db.get(name);
    if (whole) return { tag: whole, index: 0 };
    const last = path[path.length - 1];
    if (last?.kind !== 'element') return null;
    const base = tagNameOf(path.filter((s, i) => !(i === path.length - 1 && s.kind === 'element')));
    const tag = base === null ? undefined : this.db.get(base);
    if (!tag?.isArray) return null;
    if (last.index >= tag.elements) return null;
    return { tag, index: last.index };
  }
}

/** A path to the Symbol class (optionally after a `Program:Name` symbol): where the list starts. */
function symbolClassStart(path: PathSegment[]): { program: string | null; start: number } | null {
  let at = 0;
  let program: string | null = null;
  const first = path[0];
  if (first?.kind === 'symbol' && first.name.startsWith('Program:')) {
    program = first.name.slice('Program:'.length);
    at = 1;
  }
  const cls = path[at];
  const inst = path[at + 1];
  if (cls?.kind !== 'class' || cls.id !== SYMBOL_CLASS) return null;
  return { program, start: inst?.kind === 'instance' ? inst.id : 0 };
}
