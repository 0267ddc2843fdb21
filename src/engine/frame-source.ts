import { cameraCapability } from '../core/capabilities.ts';
import type { FrameSource } from '../core/frame-source.ts';
import type { Instrument } from '../core/instrument.ts';

export type { FrameRequest, FrameSource } from '../core/frame-source.ts';

/** The instrument's frame source, if it is a camera (its description has the `camera` capability). */
export function frameSourceOf(instrument: Instrument): FrameSource | undefined {
  return cameraCapability(instrument.describe().capabilities) ? instrument.driver.frameSource : undefined;
}
