import { BenchtopError } from '../../core/errors.ts';
import {
  ARV_BUFFER_STATUS_SUCCESS,
  ARV_GV_STREAM_SOCKET_BUFFER_AUTO,
  aravis,
  gerror,
  type Handle,
  viewBytes,
} from './aravis-library.ts';
import {
  type CameraTransport,
  cameraTransport,
  FrameNumbering,
  gigeSettings,
  streamCounters,
} from './camera-transport.ts';
import type { GenicamSettings, StreamStatistics, WorkerFrame } from './genicam-protocol.ts';
import {
  decodePixels,
  pixelFormatByCode,
  requirePixelFormat,
  SUPPORTED_PIXEL_FORMATS,
} from './pixel-formats.ts';

/** SFNC features Benchtop types; anything else goes through the GenICam node by name, as a string. */
export const TypedFeatures = [
  'ExposureTime',
  'Gain',
  'AcquisitionFrameRate',
  'PixelFormat',
  'Width',
  'Height',
  'OffsetX',
  'OffsetY',
  'BinningHorizontal',
  'BinningVertical',
  'TriggerMode',
] as const;
export type TypedFeature = (typeof TypedFeatures)[number];

/** Features whose change alters the payload size: the stream's buffers are rebuilt around them. */
const PAYLOAD_FEATURES = new Set(['PixelFormat', 'Width', 'Height', 'BinningHorizontal', 'BinningVertical']);

/**
 * One GenICam camera through libaravis, for the acquisition worker's thread only (koffi calls
 * block: a register access is a network round trip). Setters go through ArvCamera's helpers,
 * which know each vendor's spelling (ExposureTime vs ExposureTimeAbs, Gain vs GainRaw).
 */
export class AravisCamera {
  private readonly arv = aravis();
  private readonly error = gerror();
  private readonly camera: Handle;
  private stream: Handle | null = null;
  private bufferFrames = 0;
  private exposureUs = 0;
  /** GigE Vision or USB3 Vision: decides the transport-only settings and counters (camera-transport.ts). */
  readonly transport: CameraTransport;
  private readonly numbering: FrameNumbering;
  /** Buffers in a pixel format Benchtop does not read, and the last such PFNC code. */
  private unsupportedFrames = 0;
  private unsupportedCode: number | null = null;
  private totals: StreamStatistics = {
    completed: 0,
    failures: 0,
    underruns: 0,
    missingFrames: 0,
    missingPackets: 0,
    resendRequests: 0,
    resentPackets: 0,
  };

  constructor(deviceId: string | undefined) {
    const camera = this.arv.arv_camera_new(deviceId ?? null, this.error.slot);
    try {
      this.error.check(deviceId ? `open camera ${deviceId}` : 'open the first camera');
    } catch (error) {
      throw new BenchtopError('INSTRUMENT_UNAVAILABLE', (error as Error).message, { deviceId });
    }
    if (!camera)
      throw new BenchtopError('INSTRUMENT_UNAVAILABLE', `no camera ${deviceId ?? ''}`.trim(), { deviceId });
    this.camera = camera;
    this.transport = cameraTransport({
      isGv: this.arv.arv_camera_is_gv_device(camera) as boolean,
      isUv: this.arv.arv_camera_is_uv_device(camera) as boolean,
    });
    this.numbering = new FrameNumbering(this.transport);
  }

  identity(): { model: string; serial: string; vendor: string; deviceId: string } {
    const s = (
      fn:
        | 'arv_camera_get_model_name'
        | 'arv_camera_get_vendor_name'
        | 'arv_camera_get_device_serial_number'
        | 'arv_camera_get_device_id',
    ) => {
      const value = this.arv[fn](this.camera, this.error.slot) as string | null;
      this.error.check(fn);
      return value ?? '';
    };
    return {
      model: s('arv_camera_get_model_name'),
      vendor: s('arv_camera_get_vendor_name'),
      serial: s('arv_camera_get_device_serial_number'),
      deviceId: s('arv_camera_get_device_id'),
    };
  }

  /**
   * Applies the configured settings in the order GenICam needs (format and binning before the
   * region); returns the ones that do not apply to this transport.
   */
  apply(settings: GenicamSettings): string[] {
    const a = this.arv;
    const e = this.error;
    const gige = gigeSettings(this.transport, settings);
    if (gige.packetSize !== undefined) {
      a.arv_camera_gv_set_packet_size(this.camera, gige.packetSize, e.slot);
      e.check('packet size');
    }
    requirePixelFormat(settings.pixelFormat);
    a.arv_camera_set_pixel_format_from_string(this.camera, settings.pixelFormat, e.slot);
    e.check(`PixelFormat ${settings.pixelFormat}`);
    if (settings.binning !== 1) {
      a.arv_camera_set_binning(this.camera, settings.binning, settings.binning, e.slot);
      e.check(`binning ${settings.binning}`);
    }
    const sensor = this.sensorSize();
    const { x, y } = settings.roi;
    const width = settings.roi.width ?? Math.floor(sensor.width / settings.binning) - x;
    const height = settings.roi.height ?? Math.floor(sensor.height / settings.binning) - y;
    a.arv_camera_set_region(this.camera, x, y, width, height, e.slot);
    e.check(`region ${x},${y} ${width}x${height}`);
    this.write('ExposureTime', settings.exposureUs);
    this.write('AcquisitionFrameRate', settings.frameRate);
    if (settings.trigger === 'off') this.write('TriggerMode', 'Off');
    else {
      a.arv_camera_set_trigger(this.camera, settings.trigger, e.slot);
      e.check(`trigger ${settings.trigger}`);
    }
    return gige.ignored;
  }

  sensorSize(): { width: number; height: number } {
    const width = [0];
    const height = [0];
    this.arv.arv_camera_get_sensor_size(this.camera, width, height, this.error.slot);
    this.error.check('sensor size');
    return { width: width[0]!, height: height[0]! };
  }

  read(feature: string): number | string {
    const a = this.arv;
    const e = this.error;
    const c = this.camera;
    let value: number | string;
    switch (feature) {
      case 'ExposureTime':
        value = a.arv_camera_get_exposure_time(c, e.slot);
        break;
      case 'Gain':
        value = a.arv_camera_get_gain(c, e.slot);
        break;
      case 'AcquisitionFrameRate':
        value = a.arv_camera_get_frame_rate(c, e.slot);
        break;
      case 'PixelFormat':
        value = a.arv_camera_get_pixel_format_as_string(c, e.slot) ?? '';
        break;
      case 'Width':
      case 'Height':
      case 'OffsetX':
      case 'OffsetY': {
        const r = this.region();
        value = { Width: r.width, Height: r.height, OffsetX: r.x, OffsetY: r.y }[feature];
        break;
      }
      case 'BinningHorizontal':
      case 'BinningVertical': {
        const dx = [0];
        const dy = [0];
        a.arv_camera_get_binning(c, dx, dy, e.slot);
        value = feature === 'BinningHorizontal' ? dx[0]! : dy[0]!;
        break;
      }
      default:
        value = a.arv_gc_feature_node_get_value_as_string(this.node(feature), e.slot) ?? '';
    }
    e.check(`read ${feature}`);
    if (feature === 'ExposureTime') this.exposureUs = value as number;
    return value;
  }

  /** Writes a feature; a payload-changing one while streaming restarts the stream around it. */
  write(feature: string, value: number | string): void {
    const restart = this.stream !== null && PAYLOAD_FEATURES.has(feature);
    const buffers = this.bufferFrames;
    if (restart) this.stop();
    try {
      this.writeNow(feature, value);
    } finally {
      if (restart) this.start(buffers);
    }
  }

  private writeNow(feature: string, value: number | string): void {
    const a = this.arv;
    const e = this.error;
    const c = this.camera;
    switch (feature) {
      case 'ExposureTime':
        a.arv_camera_set_exposure_time(c, Number(value), e.slot);
        this.exposureUs = Number(value);
        break;
      case 'Gain':
        a.arv_camera_set_gain(c, Number(value), e.slot);
        break;
      case 'AcquisitionFrameRate':
        a.arv_camera_set_frame_rate(c, Number(value), e.slot);
        break;
      case 'PixelFormat':
        // Refused before the camera is touched: a format Benchtop cannot read would stop the stream.
        requirePixelFormat(String(value));
        a.arv_camera_set_pixel_format_from_string(c, String(value), e.slot);
        break;
      case 'Width':
      case 'Height':
      case 'OffsetX':
      case 'OffsetY': {
        const r = this.region();
        const n = Number(value);
        if (feature === 'Width') r.width = n;
        if (feature === 'Height') r.height = n;
        if (feature === 'OffsetX') r.x = n;
        if (feature === 'OffsetY') r.y = n;
        this.setRegion(r);
        return;
      }
      case 'BinningHorizontal':
      case 'BinningVertical': {
        const dx = [0];
        const dy = [0];
        a.arv_camera_get_binning(c, dx, dy, e.slot);
        e.check('read binning');
        if (feature === 'BinningHorizontal') dx[0] = Number(value);
        else dy[0] = Number(value);
        a.arv_camera_set_binning(c, dx[0]!, dy[0]!, e.slot);
        break;
      }
      default:
        a.arv_gc_feature_node_set_value_from_string(this.node(feature), String(value), e.slot);
    }
    e.check(`write ${feature} = ${value}`);
  }

  /** Sets the whole region at once (the camera checks it against the sensor as one change). */
  setRegion(r: { x: number; y: number; width: number; height: number }): void {
    const restart = this.stream !== null;
    const buffers = this.bufferFrames;
    if (restart) this.stop();
    try {
      this.arv.arv_camera_set_region(this.camera, r.x, r.y, r.width, r.height, this.error.slot);
      this.error.check(`region ${r.x},${r.y} ${r.width}x${r.height}`);
    } finally {
      if (restart) this.start(buffers);
    }
  }

  execute(feature: string): void {
    this.arv.arv_camera_execute_command(this.camera, feature, this.error.slot);
    this.error.check(`execute ${feature}`);
  }

  region(): { x: number; y: number; width: number; height: number } {
    const x = [0];
    const y = [0];
    const w = [0];
    const h = [0];
    this.arv.arv_camera_get_region(this.camera, x, y, w, h, this.error.slot);
    this.error.check('read region');
    return { x: x[0]!, y: y[0]!, width: w[0]!, height: h[0]! };
  }

  private node(feature: string): Handle {
    const node = this.arv.arv_device_get_feature(this.arv.arv_camera_get_device(this.camera), feature);
    if (!node)
      throw new BenchtopError('SIGNAL_NOT_FOUND', `the camera has no GenICam feature ${feature}`, {
        feature,
      });
    return node;
  }

  get streaming(): boolean {
    return this.stream !== null;
  }

  /** Creates the stream with `bufferFrames` payload-sized buffers queued, then starts acquisition. */
  start(bufferFrames: number): void {
    if (this.stream) return;
    const a = this.arv;
    const e = this.error;
    if (this.exposureUs === 0) this.read('ExposureTime');
    const payload = a.arv_camera_get_payload(this.camera, e.slot);
    e.check('payload size');
    const stream = a.arv_camera_create_stream(this.camera, null, null, e.slot);
    e.check('create stream');
    if (!stream) throw new BenchtopError('INSTRUMENT_ERROR', 'the camera gave no stream');
    // A socket buffer that holds a whole frame rides out the receive thread being descheduled
    // on a busy machine (the kernel's default drops packets, then frames).
    if (gigeSettings(this.transport, {}).socketBufferAuto) {
      a.g_object_set(stream, 'socket-buffer', 'int', ARV_GV_STREAM_SOCKET_BUFFER_AUTO, 'void *', null);
    }
    for (let i = 0; i < bufferFrames; i++) a.arv_stream_push_buffer(stream, a.arv_buffer_new(payload, null));
    this.stream = stream;
    this.bufferFrames = bufferFrames;
    a.arv_camera_start_acquisition(this.camera, e.slot);
    try {
      e.check('start acquisition');
    } catch (error) {
      this.releaseStream();
      throw error;
    }
  }

  /**
   * Waits up to `timeoutUs` for the next buffer. A completed one is copied out (one native copy
   * for 16-bit formats, one native widening for 8-bit) and its buffer queued again at once.
   */
  pop(timeoutUs: number): { frame?: WorkerFrame; failed: boolean; unsupported?: true } | null {
    const stream = this.stream;
    if (!stream) return null;
    const a = this.arv;
    const buffer = a.arv_stream_timeout_pop_buffer(stream, timeoutUs);
    if (!buffer) return null;
    try {
      if (a.arv_buffer_get_status(buffer) !== ARV_BUFFER_STATUS_SUCCESS) return { failed: true };
      const width = a.arv_buffer_get_image_width(buffer) as number;
      const height = a.arv_buffer_get_image_height(buffer) as number;
      const code = a.arv_buffer_get_image_pixel_format(buffer) as number;
      const format = pixelFormatByCode(code);
      // Set behind Benchtop's back (another tool, the camera's own default): counted, not decoded.
      if (!format) {
        this.unsupportedFrames++;
        this.unsupportedCode = code;
        return { failed: true, unsupported: true };
      }
      const size = [0];
      const data = a.arv_buffer_get_data(buffer, size);
      const out = decodePixels(format, viewBytes(data, size[0]!), width, height);
      return {
        failed: false,
        frame: {
          pixels: out,
          width,
          height,
          frameNumber: this.numbering.next(Number(a.arv_buffer_get_frame_id(buffer))),
          timestamp: Number(a.arv_buffer_get_system_timestamp(buffer)) / 1e6,
          bitDepth: format.bitDepth,
          exposureMs: this.exposureUs / 1000,
          ...(format.channels === 3 ? { channels: 3 as const } : {}),
          ...(format.bayerPattern ? { bayerPattern: format.bayerPattern } : {}),
        },
      };
    } finally {
      a.arv_stream_push_buffer(stream, buffer);
    }
  }

  /** Counters summed over every stream since the camera opened (a restart keeps counting). */
  statistics(): StreamStatistics {
    const current = this.streamStatistics();
    const sum = { ...this.totals };
    for (const key of Object.keys(sum) as (keyof StreamStatistics)[]) sum[key] += current[key];
    return sum;
  }

  /** Why frames are being refused, if the camera sends a format Benchtop does not read. */
  unsupportedFormat(): { frames: number; message: string } | null {
    if (this.unsupportedCode === null) return null;
    return {
      frames: this.unsupportedFrames,
      message: `the camera sends pixel format 0x${this.unsupportedCode.toString(16)}, which Benchtop does not read; set PixelFormat to one of ${SUPPORTED_PIXEL_FORMATS.join(', ')}`,
    };
  }

  private streamStatistics(): StreamStatistics {
    const stream = this.stream;
    const counters = streamCounters(this.transport);
    const info = (field: keyof StreamStatistics) => {
      const name = counters[field];
      return stream && name ? Number(this.arv.arv_stream_get_info_uint64_by_name(stream, name)) : 0;
    };
    return {
      completed: info('completed'),
      failures: info('failures'),
      underruns: info('underruns'),
      missingFrames: info('missingFrames'),
      missingPackets: info('missingPackets'),
      resendRequests: info('resendRequests'),
      resentPackets: info('resentPackets'),
    };
  }

  /** Stops acquisition and frees the stream with its buffers. Never throws. */
  stop(): void {
    if (!this.stream) return;
    this.arv.arv_camera_stop_acquisition(this.camera, this.error.slot);
    try {
      this.error.check('stop acquisition');
    } catch {
      // The camera may be gone; the stream is freed regardless.
    }
    this.releaseStream();
  }

  private releaseStream(): void {
    if (this.stream) {
      this.totals = this.statistics();
      this.arv.g_object_unref(this.stream);
    }
    this.stream = null;
  }

  close(): void {
    this.stop();
    this.arv.g_object_unref(this.camera);
  }
}
