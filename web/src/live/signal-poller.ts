import { getJson } from '../api/http.ts';
import { instrumentPath } from '../api/instruments.ts';
import type { Reading, SignalReadReply } from '../api/types.ts';
import { live } from './live-store.ts';

/** How often one unmonitored signal is read while a page shows it (round robin). */
const READ_EVERY_MS = 1000;

export async function readSignal(instrument: string, signal: string): Promise<void> {
  const r = await getJson<SignalReadReply>(
    `${instrumentPath(instrument)}/signals/${encodeURIComponent(signal)}`,
  );
  const reading: Reading = {
    instrument,
    signal,
    value: r.value,
    timestamp: r.timestamp,
    quality: r.quality,
  };
  if (r.unit) reading.unit = r.unit;
  live.push(reading);
}

/**
 * Keeps signals the instrument does not publish by itself (unmonitored: setpoints, settings)
 * fresh while they are on screen: all read once at start, then one per second in turn, so a
 * page never floods the instrument or the API's rate limit. Stops when the page is hidden.
 */
export function pollSignals(instrument: string, signals: string[]): () => void {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let next = 0;
  const readOne = async (signal: string) => {
    try {
      await readSignal(instrument, signal);
    } catch {
      // The instrument may be restarting; its state is shown elsewhere and the next turn retries.
    }
  };
  const tick = async () => {
    if (stopped) return;
    if (!document.hidden && signals.length > 0) {
      await readOne(signals[next % signals.length]!);
      next++;
    }
    if (!stopped) timer = setTimeout(() => void tick(), READ_EVERY_MS);
  };
  void (async () => {
    for (const s of signals) {
      if (stopped) return;
      await readOne(s);
    }
    if (!stopped) timer = setTimeout(() => void tick(), READ_EVERY_MS);
  })();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
}
