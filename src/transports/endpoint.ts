import { BenchtopError } from '../core/errors.ts';
import type { SerialLineSettings } from './serial-transport.ts';

/** Where an instrument is, after parsing whatever the configuration said. */
export type Endpoint =
  | { kind: 'tcp'; host: string; port: number }
  | { kind: 'serial'; path: string; line: SerialLineSettings }
  | { kind: 'vxi11'; host: string; device: string };

export function describeEndpoint(e: Endpoint): string {
  switch (e.kind) {
    case 'tcp':
      return `tcp://${e.host}:${e.port}`;
    case 'serial':
      return `serial:${e.path}@${e.line.baud}`;
    case 'vxi11':
      return `vxi11://${e.host}/${e.device}`;
  }
}

const tcpUrl = /^tcp:\/\/(\[[^\]]+\]|[^:/]+):(\d{1,5})\/?$/i;

function tcpFromUrl(text: string): Endpoint | null {
  const m = tcpUrl.exec(text.trim());
  if (!m) return null;
  const port = Number(m[2]);
  if (port < 1 || port > 65535) throw new BenchtopError('RESOURCE_INVALID', `${text}: port must be 1..65535`);
  return { kind: 'tcp', host: m[1]!.replace(/^\[|\]$/g, ''), port };
}

/**
 * `serial_port` from the configuration: a device path (`/dev/ttyUSB0`, `COM3`) or
 * `tcp://host:port` for a serial device server (Moxa NPort and the like, and our simulators).
 */
export function serialPortEndpoint(serialPort: string, line: SerialLineSettings): Endpoint {
  return tcpFromUrl(serialPort) ?? { kind: 'serial', path: serialPort, line };
}

/**
 * Parses a VISA resource string:
 * `TCPIP[n]::host::port::SOCKET` raw socket; `TCPIP[n]::host[::device]::INSTR` VXI-11;
 * `ASRL<n>::INSTR` (COM<n>, /dev/ttyS<n-1> on Linux) and `ASRL/dev/ttyUSB0::INSTR`.
 * GPIB, USB and HiSLIP get an error that says what to use instead.
 */
export function parseResource(resource: string, line: SerialLineSettings): Endpoint {
  const text = resource.trim();
  const direct = tcpFromUrl(text);
  if (direct) return direct;
  const parts = text.split('::');
  const head = (parts[0] ?? '').toUpperCase();
  const cls = (parts.at(-1) ?? '').toUpperCase();
  const bad = (why: string) =>
    new BenchtopError('RESOURCE_INVALID', `resource "${resource}": ${why}`, { resource });

  if (/^TCPIP\d*$/.test(head)) {
    if (cls === 'SOCKET') {
      if (parts.length !== 4) throw bad('expected TCPIP0::host::port::SOCKET');
      const port = Number(parts[2]);
      if (!Number.isInteger(port) || port < 1 || port > 65535)
        throw bad(`port "${parts[2]}" must be 1..65535`);
      return { kind: 'tcp', host: parts[1]!, port };
    }
    if (cls === 'INSTR') {
      if (parts.length < 3 || parts.length > 4 || !parts[1])
        throw bad('expected TCPIP0::host[::device]::INSTR');
      const device = parts.length === 4 ? parts[2]! : 'inst0';
      if (/^hislip/i.test(device)) {
        throw new BenchtopError(
          'TRANSPORT_UNSUPPORTED',
          `resource "${resource}": HiSLIP is not supported; use the instrument's raw socket (TCPIP0::${parts[1]}::5025::SOCKET) or VXI-11 (TCPIP0::${parts[1]}::INSTR)`,
          { resource },
        );
      }
      return { kind: 'vxi11', host: parts[1]!, device };
    }
    throw bad('TCPIP resources end in ::SOCKET or ::INSTR');
  }
  if (head.startsWith('ASRL')) {
    if (cls !== 'INSTR' || parts.length !== 2)
      throw bad('expected ASRL<n>::INSTR or ASRL/dev/ttyUSB0::INSTR');
    const rest = parts[0]!.slice(4);
    if (/^\d+$/.test(rest)) {
      const n = Number(rest);
      if (n < 1) throw bad('ASRL numbers start at 1 (COM1)');
      const path = process.platform === 'win32' ? `COM${n}` : `/dev/ttyS${n - 1}`;
      return { kind: 'serial', path, line };
    }
    if (rest.startsWith('/') || /^COM\d+$/i.test(rest)) return { kind: 'serial', path: rest, line };
    throw bad('expected ASRL<n>::INSTR or ASRL/dev/ttyUSB0::INSTR');
  }
  if (head.startsWith('GPIB')) {
    throw new BenchtopError(
      'TRANSPORT_UNSUPPORTED',
      `resource "${resource}": no GPIB support. Connect the instrument through a LAN/GPIB gateway and use ` +
        `TCPIP0::<gateway>::gpib0,<address>::INSTR (VXI-11), or its LAN (TCPIP0::host::5025::SOCKET) or serial (ASRL…::INSTR) port`,
      { resource },
    );
  }
  if (head.startsWith('USB')) {
    throw new BenchtopError(
      'TRANSPORT_UNSUPPORTED',
      `resource "${resource}": no USBTMC support; use the instrument's LAN port (TCPIP0::host::5025::SOCKET or TCPIP0::host::INSTR)`,
      { resource },
    );
  }
  throw bad('unknown resource type; expected TCPIP…::SOCKET, TCPIP…::INSTR, ASRL…::INSTR or tcp://host:port');
}

/** Resolves `serial_port` / `resource` from an instrument's configuration. */
export function instrumentEndpoint(
  config: { serial_port?: string; resource?: string },
  line: SerialLineSettings,
): Endpoint {
  if (config.serial_port) return serialPortEndpoint(config.serial_port, line);
  if (config.resource) return parseResource(config.resource, line);
  throw new BenchtopError('RESOURCE_INVALID', 'neither serial_port nor resource is set');
}
