/**
 * The offset between the server's clock and this page's, from repeated round trips: each
 * sample sends at local t0, gets the server's `now`, receives at t1; offset = now − (t0 + t1)/2
 * is exact when both legs take as long, and wrong by at most (t1 − t0)/2 otherwise. The sample
 * with the shortest round trip is kept; its half round trip is the uncertainty.
 */

export interface ClockOffset {
  /** Server ms − local ms (local = performance.timeOrigin + performance.now()). */
  offsetMs: number;
  uncertaintyMs: number;
  samples: number;
}

/** Local wall-clock ms on the monotonic timeline (performance.now is not adjusted by NTP). */
export const localNow = (): number => performance.timeOrigin + performance.now();

export async function measureClockOffset(
  serverTime: () => Promise<number>,
  samples = 15,
): Promise<ClockOffset> {
  let best: { offsetMs: number; rttMs: number } | null = null;
  for (let i = 0; i < samples; i++) {
    const t0 = localNow();
    const server = await serverTime();
    const t1 = localNow();
    const rttMs = t1 - t0;
    if (!best || rttMs < best.rttMs) best = { offsetMs: server - (t0 + t1) / 2, rttMs };
  }
  if (!best) throw new Error('no clock samples');
  return { offsetMs: best.offsetMs, uncertaintyMs: best.rttMs / 2, samples };
}
