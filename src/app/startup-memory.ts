import v8 from 'node:v8';
import vm from 'node:vm';

type GarbageCollect = (options: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;

/**
 * Gives back what start-up used and no longer needs. Loading the sources (type stripping,
 * compiling), validating the configuration and connecting the instruments churn through
 * enough short-lived objects that V8 grows its young generation to the maximum (2 × 16 MiB)
 * and keeps it: a third of an idle server's heap. A memory-reducing collection, once, when
 * the server is up, shrinks it to what is live (the young generation grows again if a load
 * needs it). Measured on the five simulated instruments: idle RSS 159 → ~130 MiB.
 */
export function releaseStartupMemory(): void {
  // `gc` is only reachable with --expose-gc; a new context made after the flag is set has it.
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as GarbageCollect | undefined;
  gc?.({ type: 'major', execution: 'sync', flavor: 'last-resort' });
}
