import type { StationVision, VisionResult } from '../line-interfaces.ts';

interface Pending {
  resolve: (r: VisionResult) => void;
  reject: (e: unknown) => void;
  signal: AbortSignal;
}

/**
 * A camera whose results the test hands out, first in first out: `respond` answers the oldest
 * trigger still waiting. Also counts the most inspections ever in flight at once, and what an
 * aborted (timed-out) trigger's late result would have been is never given to the next one.
 */
export class FakeStationVision implements StationVision {
  triggers = 0;
  maxInFlight = 0;
  private waiting: Pending[] = [];
  private scripted: (VisionResult | Error | 'silent')[] = [];
  private onTrigger: (() => void)[] = [];

  /** Results to give to the next triggers immediately; 'silent' never answers (a timeout). */
  script(...results: (VisionResult | Error | 'silent')[]): void {
    this.scripted.push(...results);
  }

  /** Resolves at the next trigger. */
  nextTrigger(): Promise<void> {
    return new Promise((resolve) => this.onTrigger.push(resolve));
  }

  get inFlight(): number {
    return this.waiting.length;
  }

  inspect(signal: AbortSignal): Promise<VisionResult> {
    this.triggers += 1;
    for (const f of this.onTrigger.splice(0)) f();
    const next = this.scripted.shift();
    if (next instanceof Error) return Promise.reject(next);
    if (next && next !== 'silent') return Promise.resolve(next);
    return new Promise((resolve, reject) => {
      const pending = { resolve, reject, signal };
      this.waiting.push(pending);
      this.maxInFlight = Math.max(this.maxInFlight, this.waiting.length);
      signal.addEventListener('abort', () => {
        this.waiting = this.waiting.filter((p) => p !== pending);
        reject(signal.reason);
      });
    });
  }

  respond(fields: Record<string, number>): void {
    const oldest = this.waiting.shift();
    if (!oldest) throw new Error('no inspection waiting');
    oldest.resolve({ fields });
  }
}
