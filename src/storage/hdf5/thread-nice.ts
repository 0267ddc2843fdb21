import { getPriority, setPriority } from 'node:os';

/** What a thread asked for and got (WriterStats.threadNice). */
export interface ThreadNice {
  requested: number;
  /** The thread's nice value before: threads it starts inherit the new one (see applyThreadNice). */
  previous: number;
  /** The nice value the thread now has, or null when the request was refused. */
  applied: number | null;
  /** Why it was refused (e.g. a negative value without CAP_SYS_NICE). */
  refused?: string;
}

/**
 * Sets the calling thread's nice value. On Linux the nice value is per thread
 * (`setpriority(PRIO_PROCESS, 0, …)` from a worker changes that worker only), so the HDF5
 * writer can run ahead of the server's own event loop and of everything else on a contended
 * lab PC: when two cores are shared with a WebSocket fan-out and the parameter logger, a writer
 * at the same priority can fall a few seconds behind a 43 fps camera and its bounded queue
 * refuses frames. The writer mostly waits on the disk, so it cannot starve anyone. Threads it
 * starts inherit its nice value (Linux copies it to a new thread), so the compressor threads
 * set `previous` back on themselves: they can use every core and, raised, would leave the
 * event loop almost nothing whenever a codec cannot keep up. Below 0 needs root or CAP_SYS_NICE
 * (deploy/benchtop.service grants it); a refusal leaves the thread as it was and is reported.
 */
export function applyThreadNice(
  requested: number,
  set: (pid: number, priority: number) => void = setPriority,
): ThreadNice {
  const previous = getPriority(0);
  try {
    set(0, requested);
    return { requested, previous, applied: requested };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    const why =
      code === 'EACCES' || code === 'EPERM'
        ? `not permitted (${code}: a nice value below 0 needs root or CAP_SYS_NICE)`
        : (error as Error).message;
    return { requested, previous, applied: null, refused: why };
  }
}
