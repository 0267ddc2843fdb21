import type { SerialPort } from 'serialport';
import { BenchtopError } from '../core/errors.ts';
import type { ByteTransport } from './transport.ts';

export interface SerialLineSettings {
  baud: number;
  data_bits: 5 | 6 | 7 | 8;
  parity: 'none' | 'even' | 'odd' | 'mark' | 'space';
  stop_bits: 1 | 1.5 | 2;
  flow_control: 'none' | 'rtscts' | 'xonxoff';
}

/** RS-232 through the serialport package (prebuilt N-API binding). */
export class SerialTransport implements ByteTransport {
  readonly address: string;
  private readonly path: string;
  private readonly settings: SerialLineSettings;
  private port: SerialPort | null = null;
  private receiver: (chunk: Uint8Array) => void = () => {};
  private closeListener: (error?: Error) => void = () => {};
  private closedByUs = false;

  constructor(path: string, settings: SerialLineSettings) {
    this.path = path;
    this.settings = settings;
    this.address = `serial:${path}@${settings.baud}`;
  }

  get isOpen(): boolean {
    return this.port?.isOpen === true;
  }

  async open(): Promise<void> {
    const s = this.settings;
    this.closedByUs = false;
    // The native binding is loaded by the first serial port opened: simulated instruments never need it.
    const { SerialPort } = await import('serialport');
    return new Promise((resolve, reject) => {
      const port = new SerialPort({
        path: this.path,
        baudRate: s.baud,
        dataBits: s.data_bits,
        parity: s.parity,
        stopBits: s.stop_bits,
        rtscts: s.flow_control === 'rtscts',
        xon: s.flow_control === 'xonxoff',
        xoff: s.flow_control === 'xonxoff',
        autoOpen: false,
      });
      port.open((error) => {
        if (error) {
          reject(
            new BenchtopError(
              'LINK_LOST',
              `cannot open ${this.address}: ${error.message}`,
              { address: this.address },
              { cause: error },
            ),
          );
          return;
        }
        this.port = port;
        port.on('data', (chunk: Buffer) => this.receiver(chunk));
        let reported = false;
        const closed = (e?: Error) => {
          if (reported) return;
          reported = true;
          this.port = null;
          if (!this.closedByUs) this.closeListener(e ?? new Error(`${this.address} closed`));
        };
        port.on('error', (e) => closed(e));
        port.on('close', () => closed());
        resolve();
      });
    });
  }

  write(data: Uint8Array): Promise<void> {
    const port = this.port;
    if (!port) return Promise.reject(new BenchtopError('LINK_LOST', `${this.address} is not open`));
    return new Promise((resolve, reject) => {
      port.write(Buffer.from(data), (error) => {
        if (error)
          reject(new BenchtopError('LINK_LOST', `write to ${this.address} failed: ${error.message}`));
        else port.drain(() => resolve());
      });
    });
  }

  onData(receiver: (chunk: Uint8Array) => void): void {
    this.receiver = receiver;
  }

  onClose(listener: (error?: Error) => void): void {
    this.closeListener = listener;
  }

  async close(): Promise<void> {
    this.closedByUs = true;
    const port = this.port;
    this.port = null;
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
  }
}
