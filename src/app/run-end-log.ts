import type { EventBus } from '../core/bus.ts';
import type { BenchtopEvents } from '../core/events.ts';
import type { Logger } from '../core/logger.ts';
import type { RunEngine } from '../engine/run-engine.ts';

/**
 * Every run that ends in fail or abort is a warning in the server log with its reason, so an
 * operator reading the log (or journald) learns that a run died and why, not only the client
 * that submitted it.
 */
export function logFailedRuns(bus: EventBus<BenchtopEvents>, engine: RunEngine, logger: Logger): () => void {
  return bus.on('run.state', (change) => {
    if (change.state !== 'finished') return;
    if (change.exit_status !== 'fail' && change.exit_status !== 'abort') return;
    const run = engine.get(change.uid);
    logger.warn(
      {
        run: change.uid,
        plan: run?.plan,
        exit_status: change.exit_status,
        reason: change.reason,
        ...(run?.error ? { error: run.error } : {}),
      },
      `run ${change.uid} (${run?.plan ?? 'plan unknown'}) ended with ${change.exit_status}: ${change.reason || 'no reason given'}`,
    );
  });
}
