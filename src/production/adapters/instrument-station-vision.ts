import { BenchtopError } from '../../core/errors.ts';
import type { InstrumentDirectory } from '../../core/instrument-directory.ts';
import type { StationVision, VisionResult } from '../line-interfaces.ts';

/** One field of the camera's result line as its instrument config declares it (KeyenceCvx `outputs`). */
export interface VisionOutput {
  name: string;
  kind: string;
}

/** CV-X tool scores are 0–100; the line's defect classes take a score of 0..1. */
const SCORE_FULL_SCALE = 100;

/**
 * A station's camera over a vision instrument (KeyenceCvx): `inspect` calls its `trigger`
 * action and maps the result to fields by the configured outputs — scores scaled to 0..1,
 * judgements, measures and box coordinates as sent. The driver never hands a late result to
 * the next trigger, so an aborted inspection only has to stop waiting.
 */
export class InstrumentStationVision implements StationVision {
  private readonly instrumentId: string;
  private readonly directory: InstrumentDirectory;
  private readonly outputs: ReadonlyMap<string, VisionOutput>;

  constructor(options: {
    instrumentId: string;
    directory: InstrumentDirectory;
    outputs: readonly VisionOutput[];
  }) {
    this.instrumentId = options.instrumentId;
    this.directory = options.directory;
    this.outputs = new Map(options.outputs.map((o) => [o.name, o]));
  }

  inspect(signal: AbortSignal): Promise<VisionResult> {
    const triggered = this.directory
      .get(this.instrumentId)
      .call('trigger')
      .then((result) => this.fieldsOf(result));
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      triggered.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  private fieldsOf(result: unknown): VisionResult {
    const raw = (result as { fields?: unknown } | null)?.fields;
    if (typeof raw !== 'object' || raw === null)
      throw new BenchtopError('PROTOCOL_ERROR', `${this.instrumentId}: trigger gave no fields`, {
        instrument: this.instrumentId,
      });
    const fields: Record<string, number> = {};
    for (const [name, value] of Object.entries(raw)) {
      if (typeof value !== 'number') continue;
      fields[name] = this.outputs.get(name)?.kind === 'score' ? value / SCORE_FULL_SCALE : value;
    }
    return { fields };
  }
}
