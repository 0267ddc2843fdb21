type GarbageCollect = (options: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;

/**
 * Gives back what start-up used and no longer needs, when the process was started with
 * `--expose-gc` (bin/benchtop.js and `npm start` pass it). Loading the sources (type
 * stripping, compiling), validating the configuration and connecting the instruments churn
 * through enough short-lived objects that V8 grows its young generation to the maximum
 * (2 × 16 MiB) and keeps it. A memory-reducing collection, once, when the server is up,
 * shrinks it to what is live (the young generation grows again if a load needs it). Without
 * the flag nothing happens: turning V8 flags on at run time (v8.setFlagsFromString) is
 * undefined behaviour.
 */
export function releaseStartupMemory(): boolean {
  const gc = (globalThis as { gc?: GarbageCollect }).gc;
  if (typeof gc !== 'function') return false;
  gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  return true;
}
