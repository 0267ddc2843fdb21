import { type Static, Type } from '@sinclair/typebox';
import { defineInstrument } from '../../kind.ts';
import { TestCameraDriver } from './test-camera-driver.ts';

export const TestCameraConfig = Type.Object(
  {
    width: Type.Integer({ minimum: 1, maximum: 1024, default: 64 }),
    height: Type.Integer({ minimum: 1, maximum: 1024, default: 48 }),
    exposure_s: Type.Number({ exclusiveMinimum: 0, maximum: 10, default: 0.01 }),
  },
  { additionalProperties: false },
);
export type TestCameraConfig = Static<typeof TestCameraConfig>;

/**
 * A second camera type, for tests only (it is in no production catalog): it names its signals
 * and actions its own way, so whatever shows or records it must go by the camera capability.
 */
export const testCameraKind = defineInstrument({
  type: 'TestCamera',
  configSchema: TestCameraConfig,
  capabilities: ['camera'],
  createDriver: (config, deps) => new TestCameraDriver(deps.id, config, deps),
});
