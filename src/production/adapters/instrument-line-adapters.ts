import type { EventBus } from '../../core/bus.ts';
import type { BenchtopEvents } from '../../core/events.ts';
import type { InstrumentDirectory } from '../../core/instrument-directory.ts';
import type { ProductionAdapters } from '../production-lines.ts';
import { InstrumentLinePlc } from './instrument-line-plc.ts';
import { InstrumentStationVision, type VisionOutput } from './instrument-station-vision.ts';

/**
 * The adapters ProductionLines takes, over the running instruments: the PLC's by id, each
 * station's camera with the `outputs` of its instrument config (so scores are scaled by kind).
 */
export function instrumentLineAdapters(options: {
  directory: InstrumentDirectory;
  bus: EventBus<BenchtopEvents>;
  /** The configured instruments (`[[instruments]]`), for the cameras' `outputs`. */
  instruments: readonly { id: string; config?: unknown }[];
}): ProductionAdapters {
  const { directory, bus } = options;
  const outputsOf = (id: string): VisionOutput[] => {
    const config = options.instruments.find((i) => i.id === id)?.config as
      | { outputs?: VisionOutput[] }
      | undefined;
    return config?.outputs ?? [];
  };
  return {
    plc: (instrumentId) => new InstrumentLinePlc({ instrumentId, directory, bus }),
    vision: (instrumentId) =>
      new InstrumentStationVision({ instrumentId, directory, outputs: outputsOf(instrumentId) }),
  };
}
