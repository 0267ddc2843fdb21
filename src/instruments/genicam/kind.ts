import { defineInstrument } from '../kind.ts';
import { GenicamCameraConfig } from './config.ts';
import { GenicamCameraDriver } from './genicam-driver.ts';

/** GigE Vision / USB3 Vision cameras through libaravis 0.8 (Debian libaravis-0.8-0). */
export const genicamCameraKind = defineInstrument({
  type: 'GenicamCamera',
  configSchema: GenicamCameraConfig,
  capabilities: ['camera'],
  createDriver: (config, deps) => new GenicamCameraDriver(deps.id, config, deps),
  // A register write that changes the payload restarts the stream: allow for a slow camera.
  replyTimeoutMs: () => 10_000,
});
