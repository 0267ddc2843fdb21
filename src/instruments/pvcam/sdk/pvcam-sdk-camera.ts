import type { Clock, TimerHandle } from '../../../core/clock.ts';
import { BenchtopError } from '../../../core/errors.ts';
import type { Frame } from '../../../core/frame.ts';
import type {
  AcquisitionEvents,
  AcquisitionRequest,
  AcquisitionStatus,
  CameraBackend,
  CameraInfo,
  ConfiguredReadout,
} from '../camera-backend.ts';
import type { ReadoutPort, SensorModel } from '../camera-model.ts';
import { type CameraSettings, ClearModes, type TriggerMode } from '../camera-settings.ts';
import {
  Attr,
  buffers,
  CCS_HALT,
  CIRC_NO_OVERWRITE,
  cString,
  EXP_RES_ONE_MICROSEC,
  koffi,
  type ParamName,
  Params,
  type PvcamFunctions,
  pvcam,
  ReadoutStatus,
  SW_TRIG_STATUS_TRIGGERED,
} from './pvcam-library.ts';

/** How often a running acquisition asks the SDK for a completed frame. */
const POLL_MS = 2;

/** Extended exposure modes (pvcam.h PL_EXPOSURE_MODES), ORed with EXPOSE_OUT_FIRST_ROW (0). */
const exposureModes: Record<TriggerMode, number> = {
  timed: 7 << 8, // EXT_TRIG_INTERNAL
  trigger_first: 8 << 8, // EXT_TRIG_TRIG_FIRST
  edge_rising: 9 << 8, // EXT_TRIG_EDGE_RISING
  software_first: 11 << 8, // EXT_TRIG_SOFTWARE_FIRST
  software_edge: 12 << 8, // EXT_TRIG_SOFTWARE_EDGE
};

export interface PvcamSdkCameraOptions {
  /** libpvcam's path or soname (`libpvcam.so.2`); tests pass a stand-in library. */
  library: string;
  cameraName: string;
  clock: Clock;
}

interface Running {
  events: AcquisitionEvents;
  /** Keeps the circular buffer the SDK writes into alive (and unmoved) while it runs. */
  ring: Buffer;
  frameBytes: number;
  width: number;
  height: number;
  bitDepth: number;
  exposureMs: number;
  /** Frames still wanted (Infinity for continuous). */
  remaining: number;
  lastFrameNr: number;
  dropped: number;
  /** The oldest frame, copied out; its SDK slot stays locked until `release`. */
  pending: Frame | null;
  timer: TimerHandle | null;
}

/**
 * The PVCAM SDK through koffi: the CameraBackend call for call (pl_pvcam_init, pl_cam_open,
 * pl_get_param/pl_set_param, pl_exp_setup_cont, pl_exp_start_cont, pl_exp_get_oldest_frame_ex,
 * pl_exp_unlock_oldest_frame, pl_exp_trigger, pl_exp_stop_cont, pl_error_code/pl_error_message). The sensor
 * writes frames into a CIRC_NO_OVERWRITE buffer on the SDK's own thread; each frame is copied out
 * once (a native copy, no per-pixel work) and its slot unlocked when the driver releases it.
 */
export class PvcamSdkCamera implements CameraBackend {
  private readonly options: PvcamSdkCameraOptions;
  private sdk: PvcamFunctions | null = null;
  private handle = -1;
  private lost: ((error: BenchtopError) => void) | null = null;
  private running: Running | null = null;
  private lastStatus: AcquisitionStatus = { acquiring: false, framesDropped: 0, framesExposed: 0 };
  private bitDepth = 16;

  constructor(options: PvcamSdkCameraOptions) {
    this.options = options;
  }

  private error(what: string): BenchtopError {
    const sdk = this.sdk!;
    const code = sdk.pl_error_code() as number;
    const message = buffers.errorMessage();
    sdk.pl_error_message(code, message);
    return new BenchtopError('INSTRUMENT_ERROR', `PVCAM ${what}: ${cString(message)}`, {
      instrumentCode: code,
    });
  }

  private call(what: string, ok: unknown): void {
    if (!ok) throw this.error(what);
  }

  private get<T extends number | string>(name: ParamName, attr: number = Attr.CURRENT): T {
    const { id, type } = Params[name];
    const bytes = buffers.param();
    this.call(`pl_get_param(PARAM_${name})`, this.sdk!.pl_get_param(this.handle, id, attr, bytes));
    if (type === 'string') return cString(bytes) as T;
    // ATTR_COUNT is an uns32 whatever the parameter's own type.
    if (attr === Attr.COUNT) return new DataView(bytes.buffer).getUint32(0, true) as T;
    return koffi().decode(bytes, type) as T;
  }

  private set(name: ParamName, value: number): void {
    const { id, type } = Params[name];
    const bytes = new Uint8Array(8);
    const view = new DataView(bytes.buffer);
    if (type === 'int16_t') view.setInt16(0, value, true);
    else if (type === 'uint16_t') view.setUint16(0, value, true);
    else if (type === 'int32_t') view.setInt32(0, value, true);
    else if (type === 'uint64_t') view.setBigUint64(0, BigInt(value), true);
    else throw new BenchtopError('INTERNAL', `PARAM_${name} is not settable here`);
    this.call(`pl_set_param(PARAM_${name} = ${value})`, this.sdk!.pl_set_param(this.handle, id, bytes));
  }

  async open(lost: (error: BenchtopError) => void): Promise<CameraInfo> {
    const sdk = pvcam(this.options.library);
    this.sdk = sdk;
    this.call('pl_pvcam_init', sdk.pl_pvcam_init());
    try {
      const total = [0];
      this.call('pl_cam_get_total', sdk.pl_cam_get_total(total));
      const names: string[] = [];
      for (let i = 0; i < total[0]!; i++) {
        const name = buffers.cameraName();
        this.call('pl_cam_get_name', sdk.pl_cam_get_name(i, name));
        names.push(cString(name));
      }
      if (!names.includes(this.options.cameraName)) {
        throw new BenchtopError(
          'INSTRUMENT_UNAVAILABLE',
          `PVCAM has no camera "${this.options.cameraName}" (found: ${names.length ? names.join(', ') : 'none'})`,
          { cameraName: this.options.cameraName, found: names },
        );
      }
      const handle = [0];
      this.call(
        `pl_cam_open(${this.options.cameraName})`,
        sdk.pl_cam_open(this.options.cameraName, handle, 0),
      );
      this.handle = handle[0]!;
      this.lost = lost;
      const model = this.readModel();
      return {
        identity: {
          model: model.product,
          serial: this.get<string>('HEAD_SER_NUM_ALPHA'),
          raw: `${this.options.cameraName}: ${model.chip} ${model.widthPx}x${model.heightPx}`,
        },
        model,
      };
    } catch (error) {
      await this.close();
      throw error;
    }
  }

  /** The sensor and its readout table, walked port by port and speed by speed (ATTR_COUNT/MAX). */
  private readModel(): SensorModel {
    const ports: ReadoutPort[] = [];
    const portCount = this.get<number>('READOUT_PORT', Attr.COUNT);
    for (let p = 0; p < portCount; p++) {
      this.set('READOUT_PORT', p);
      const speeds: ReadoutPort['speeds'] = [];
      const maxSpeed = this.get<number>('SPDTAB_INDEX', Attr.MAX);
      for (let s = 0; s <= maxSpeed; s++) {
        this.set('SPDTAB_INDEX', s);
        const bitDepth = this.get<number>('BIT_DEPTH');
        const rows = this.get<number>('PAR_SIZE');
        const maxGain = this.get<number>('GAIN_INDEX', Attr.MAX);
        speeds.push({
          index: s,
          name: `${Math.round(1000 / this.get<number>('PIX_TIME'))}MHz ${bitDepth}bit`,
          bitDepth,
          rowTimeUs: (this.get<number>('READOUT_TIME') * 1000) / rows,
          // The SDK reports no conversion gain or read noise; typical values keep the model whole.
          gains: Array.from({ length: maxGain }, (_, g) => ({
            index: g + 1,
            name: `gain ${g + 1}`,
            electronsPerAdu: 1,
            readNoiseE: 1.5,
          })),
        });
      }
      ports.push({ index: p, name: `port ${p}`, speeds });
    }
    const exposureMin = Number(this.get<number>('EXPOSURE_TIME', Attr.MIN));
    const exposureMax = Number(this.get<number>('EXPOSURE_TIME', Attr.MAX));
    return {
      product: this.get<string>('PRODUCT_NAME'),
      chip: this.get<string>('CHIP_NAME'),
      widthPx: this.get<number>('SER_SIZE'),
      heightPx: this.get<number>('PAR_SIZE'),
      pixelSizeUm: 6.5,
      ports,
      binnings: [1, 2, 4],
      // PARAM_EXP_RES is set to microseconds before every acquisition.
      minExposureMs: Math.max(exposureMin, 1) / 1000,
      maxExposureMs: exposureMax / 1000,
      clearTimeMs: 0,
      biasAdu: 100,
      minSetpointC: this.get<number>('TEMP_SETPOINT', Attr.MIN) / 100,
      maxSetpointC: this.get<number>('TEMP_SETPOINT', Attr.MAX) / 100,
    };
  }

  async close(): Promise<void> {
    const sdk = this.sdk;
    if (!sdk) return;
    await this.stop();
    if (this.handle >= 0) sdk.pl_cam_close(this.handle);
    this.handle = -1;
    sdk.pl_pvcam_uninit();
    this.sdk = null;
    this.lost = null;
  }

  async configure(settings: CameraSettings): Promise<ConfiguredReadout> {
    this.set('READOUT_PORT', settings.readoutPort);
    this.set('SPDTAB_INDEX', settings.speedIndex);
    this.set('GAIN_INDEX', settings.gainIndex);
    this.set('CLEAR_MODE', ClearModes.indexOf(settings.clearMode));
    this.bitDepth = this.get<number>('BIT_DEPTH');
    return { bitDepth: this.bitDepth, readoutTimeMs: this.get<number>('READOUT_TIME') };
  }

  async temperatureC(): Promise<number> {
    return this.get<number>('TEMP') / 100;
  }

  async setTemperatureSetpoint(celsius: number): Promise<void> {
    this.set('TEMP_SETPOINT', Math.round(celsius * 100));
  }

  async start(request: AcquisitionRequest, events: AcquisitionEvents): Promise<void> {
    const sdk = this.sdk;
    if (!sdk || !this.lost) throw new BenchtopError('LINK_LOST', 'PVCAM camera not open');
    if (this.running) throw new BenchtopError('INSTRUMENT_ERROR', 'PVCAM: an acquisition is already running');
    const { settings } = request;
    const { roi, binning } = settings;
    this.set('EXP_RES', EXP_RES_ONE_MICROSEC);
    const region = {
      s1: roi.x,
      s2: roi.x + roi.width - 1,
      sbin: binning,
      p1: roi.y,
      p2: roi.y + roi.height - 1,
      pbin: binning,
    };
    const bytes = [0];
    this.call(
      'pl_exp_setup_cont',
      sdk.pl_exp_setup_cont(
        this.handle,
        1,
        region,
        exposureModes[settings.triggerMode],
        Math.round(settings.exposureMs * 1000),
        bytes,
        CIRC_NO_OVERWRITE,
      ),
    );
    const frameBytes = bytes[0]!;
    const ring = Buffer.alloc(frameBytes * request.bufferFrames);
    this.call('pl_exp_start_cont', sdk.pl_exp_start_cont(this.handle, ring, ring.length));
    this.running = {
      events,
      ring,
      frameBytes,
      width: roi.width / binning,
      height: roi.height / binning,
      bitDepth: this.bitDepth,
      exposureMs: settings.exposureMs,
      remaining: request.frames === 'continuous' ? Number.POSITIVE_INFINITY : request.frames,
      lastFrameNr: 0,
      dropped: 0,
      pending: null,
      timer: null,
    };
    this.schedule(this.running);
  }

  /** pl_exp_trigger: false when the camera ignored it (not armed, or not a software-triggered mode). */
  async trigger(): Promise<boolean> {
    if (!this.running) return false;
    const flags = [0];
    this.call('pl_exp_trigger', this.sdk!.pl_exp_trigger(this.handle, flags, 0));
    return flags[0] === SW_TRIG_STATUS_TRIGGERED;
  }

  oldestFrame(): Frame | undefined {
    return this.running?.pending ?? undefined;
  }

  release(frame: Frame): void {
    const r = this.running;
    if (!r || r.pending !== frame) return;
    r.pending = null;
    if (!this.sdk!.pl_exp_unlock_oldest_frame(this.handle)) {
      this.fail(this.error('pl_exp_unlock_oldest_frame'));
      return;
    }
    if (r.remaining <= 0) {
      void this.stop().then(() => r.events.finished());
      return;
    }
    this.poll(r);
  }

  async stop(): Promise<void> {
    const r = this.running;
    if (!r) return;
    r.timer?.cancel();
    this.lastStatus = { ...this.status(), acquiring: false };
    this.running = null;
    this.sdk?.pl_exp_stop_cont(this.handle, CCS_HALT);
  }

  status(): AcquisitionStatus {
    const r = this.running;
    if (!r) return this.lastStatus;
    return { acquiring: true, framesDropped: r.dropped, framesExposed: r.lastFrameNr };
  }

  private schedule(r: Running): void {
    r.timer = this.options.clock.setTimeout(() => {
      r.timer = null;
      if (this.running === r) this.poll(r);
    }, POLL_MS);
  }

  /** Takes the oldest completed frame if the driver holds none; otherwise checks the camera is still there. */
  private poll(r: Running): void {
    const sdk = this.sdk!;
    if (r.pending === null && r.remaining > 0) {
      const address: [unknown] = [null];
      const info: { FrameNr?: number } = {};
      if (sdk.pl_exp_get_oldest_frame_ex(this.handle, address, info)) {
        const frameNr = info.FrameNr ?? r.lastFrameNr + 1;
        const gap = frameNr - r.lastFrameNr - 1;
        r.lastFrameNr = frameNr;
        const pixels = new Uint16Array(r.width * r.height);
        new Uint8Array(pixels.buffer).set(new Uint8Array(koffi().view(address[0], r.frameBytes)));
        r.remaining--;
        r.pending = {
          pixels,
          width: r.width,
          height: r.height,
          frameNumber: frameNr,
          timestamp: this.options.clock.now(),
          bitDepth: r.bitDepth,
          exposureMs: r.exposureMs,
        };
        if (gap > 0) {
          r.dropped += gap;
          r.events.overrun(gap, r.dropped);
        }
        r.events.frameAvailable();
      } else {
        const status = [0];
        if (!sdk.pl_exp_check_cont_status(this.handle, status, [0], [0])) {
          this.fail(this.error('pl_exp_check_cont_status'));
          return;
        }
        if (status[0] === ReadoutStatus.FAILED) {
          this.fail(new BenchtopError('INSTRUMENT_ERROR', 'PVCAM: readout failed'));
          return;
        }
      }
    }
    if (this.running === r && r.timer === null) this.schedule(r);
  }

  private fail(error: BenchtopError): void {
    void this.stop();
    this.lost?.(
      new BenchtopError('LINK_LOST', `camera lost: ${error.message}`, error.details, { cause: error }),
    );
  }
}
