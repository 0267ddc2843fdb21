import type { DriverIdentity } from '../../core/device.ts';
import type { BenchtopError } from '../../core/errors.ts';
import type { Frame } from '../../core/frame.ts';
import type { SensorModel } from './camera-model.ts';
import type { CameraSettings } from './camera-settings.ts';

/**
 * The camera as the driver sees it, shaped after PVCAM so an SDK backend (koffi against
 * libpvcam) can implement it call for call. The driver validates every setting before a backend
 * sees it; a backend only reports what the camera does.
 *
 * Frames live in the camera's circular buffer with CIRC_NO_OVERWRITE semantics: a frame holds
 * its slot until the driver releases it (pl_exp_get_oldest_frame / pl_exp_unlock_oldest_frame),
 * and a frame that finds every slot held is lost and counted, never silently overwritten.
 */
export interface CameraBackend {
  /**
   * pl_pvcam_init + pl_cam_open, then the camera's identity and readout table. `lost` is called
   * if the camera or its link fails later, during an acquisition or not.
   */
  open(lost: (error: BenchtopError) => void): Promise<CameraInfo>;
  /** Stops any acquisition and pl_cam_close / pl_pvcam_uninit. Must not throw. */
  close(): Promise<void>;
  /** pl_set_param for port, speed, gain and clear mode; returns what the camera then reports. */
  configure(settings: CameraSettings): Promise<ConfiguredReadout>;
  /** PARAM_TEMP, °C. */
  temperatureC(): Promise<number>;
  /** PARAM_TEMP_SETPOINT, °C. */
  setTemperatureSetpoint(celsius: number): Promise<void>;
  /** pl_exp_setup_seq / pl_exp_setup_cont + start: frames begin arriving through `events`. */
  start(request: AcquisitionRequest, events: AcquisitionEvents): Promise<void>;
  /** pl_exp_trigger: fires a software trigger. False if the camera ignored it (busy, not armed). */
  trigger(): Promise<boolean>;
  /** The oldest frame not yet released, if it is complete. It keeps its slot until `release`. */
  oldestFrame(): Frame | undefined;
  /** Unlocks the slot of `frame` if it is still the oldest of the running acquisition. */
  release(frame: Frame): void;
  /** pl_exp_stop_cont(CCS_HALT) / pl_exp_abort: no frame is delivered after this resolves. */
  stop(): Promise<void>;
  /** Counters of the current (or last) acquisition. */
  status(): AcquisitionStatus;
}

export interface CameraInfo {
  identity: DriverIdentity;
  model: SensorModel;
}

export interface ConfiguredReadout {
  bitDepth: number;
  readoutTimeMs: number;
}

export interface AcquisitionRequest {
  settings: CameraSettings;
  /** A sequence of this many frames, or continuous until `stop`. */
  frames: number | 'continuous';
  /** Circular buffer depth in frames. */
  bufferFrames: number;
}

export interface AcquisitionEvents {
  /** A frame is complete in the buffer (PVCAM's end-of-frame callback). */
  frameAvailable(): void;
  /**
   * Frames found the buffer full and were lost; `total` since the acquisition started. `cause`
   * when the backend knows which side fell behind (the simulator does; a real camera's SDK
   * only reports the overrun).
   */
  overrun(lost: number, total: number, cause?: string): void;
  /** A sequence's last frame was released: the acquisition is over. */
  finished(): void;
}

export interface AcquisitionStatus {
  acquiring: boolean;
  /** Frames lost to overrun since the acquisition started. */
  framesDropped: number;
  /** Frames the sensor has read out (acquired + dropped). */
  framesExposed: number;
}
