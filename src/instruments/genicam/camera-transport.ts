import type { GenicamSettings, StreamStatistics } from './genicam-protocol.ts';

/**
 * What differs between a GigE Vision and a USB3 Vision camera below the GenICam features, kept
 * here so the rest of the driver is one path for both: the packet size, the receive socket
 * buffer, the GVSP counters and 16-bit block ids belong to GigE Vision only. Aravis answers
 * an unknown stream counter with a g_critical on stderr, so a USB3 Vision stream is only asked
 * for the counters every Aravis stream declares.
 */
export type CameraTransport = 'GigEVision' | 'USB3Vision' | 'other';

export function cameraTransport(device: { isGv: boolean; isUv: boolean }): CameraTransport {
  if (device.isGv) return 'GigEVision';
  return device.isUv ? 'USB3Vision' : 'other';
}

/** The stream counters (Aravis info names) to read for each StreamStatistics field on this transport. */
export function streamCounters(transport: CameraTransport): Partial<Record<keyof StreamStatistics, string>> {
  const common = { completed: 'n_completed_buffers', failures: 'n_failures', underruns: 'n_underruns' };
  if (transport !== 'GigEVision') return common;
  return {
    ...common,
    missingFrames: 'n_missing_frames',
    missingPackets: 'n_missing_packets',
    resendRequests: 'n_resend_requests',
    resentPackets: 'n_resent_packets',
  };
}

/**
 * The GigE Vision settings to apply on this transport, and the configured ones that do not
 * apply (reported, not fatal: the same config may serve a GigE and a USB3 model of a camera).
 */
export function gigeSettings(
  transport: CameraTransport,
  settings: Pick<GenicamSettings, 'packetSize'>,
): { packetSize?: number; socketBufferAuto: boolean; ignored: string[] } {
  if (transport === 'GigEVision') {
    return {
      ...(settings.packetSize !== undefined ? { packetSize: settings.packetSize } : {}),
      socketBufferAuto: true,
      ignored: [],
    };
  }
  const ignored =
    settings.packetSize !== undefined
      ? [`packet_size = ${settings.packetSize} applies to GigE Vision only; this camera is ${transport}`]
      : [];
  return { socketBufferAuto: false, ignored };
}

/**
 * Frame numbers from buffer frame ids. GigE Vision 1 block ids are 16 bits and wrap from 65535
 * to 1 (0 is never used): unwrapped, so a frame-number gap always means lost frames. USB3
 * Vision (and GigE Vision 2 extended ids) count in 64 bits and are taken as they are.
 */
export class FrameNumbering {
  private readonly wraps16: boolean;
  private last: number | null = null;
  private epoch = 0;

  constructor(transport: CameraTransport) {
    this.wraps16 = transport === 'GigEVision';
  }

  next(frameId: number): number {
    if (!this.wraps16) return frameId;
    if (this.last !== null && frameId < this.last && this.last - frameId > 0x8000) this.epoch += 0xffff;
    this.last = frameId;
    return this.epoch + frameId;
  }
}
