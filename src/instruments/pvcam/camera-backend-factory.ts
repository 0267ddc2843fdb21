import { defaultCortex } from '../../sim/cortex-model.ts';
import { VirtualLab } from '../../sim/virtual-lab.ts';
import type { DriverDeps } from '../kind.ts';
import type { CameraBackend } from './camera-backend.ts';
import type { PvcamConfig } from './config.ts';
import { PvcamSdkCamera } from './sdk/pvcam-sdk-camera.ts';
import { SimulatedCamera } from './simulated-camera.ts';

/** Makes a fresh backend for each connection; throws (at connect) if none can be made. */
export type CameraBackendFactory = () => CameraBackend;

/**
 * Chooses the backend: the simulated camera for `backend = "simulated"`, or for `auto` in
 * simulation mode (when the instrument manager hands the driver the shared lab); otherwise the
 * PVCAM SDK through koffi, which fails at connect, naming the library, where libpvcam is missing.
 */
export function cameraBackendFactory(
  _id: string,
  config: PvcamConfig,
  deps: DriverDeps,
): CameraBackendFactory {
  const simulate = config.backend === 'simulated' || (config.backend === 'auto' && deps.lab !== undefined);
  if (!simulate) {
    return () =>
      new PvcamSdkCamera({ library: config.sdk_library, cameraName: config.camera_name, clock: deps.clock });
  }
  // Outside simulation mode there is no shared lab: the camera gets a private, dark one (laser
  // off, stage at 0), so it still streams bias and read noise.
  const lab =
    deps.lab ?? new VirtualLab({ clock: deps.clock, seed: 1, beamWaistMm: 0.5, knifeEdgeMm: 0, warmupS: 20 });
  return () =>
    new SimulatedCamera({
      cameraName: config.camera_name,
      clock: deps.clock,
      lab,
      temperatureSetpointC: config.temperature_setpoint_c,
      seed: Math.floor(lab.random.next() * 2 ** 32),
      ...(config.simulated_scene === 'cortex' ? { cortex: defaultCortex } : {}),
    });
}
