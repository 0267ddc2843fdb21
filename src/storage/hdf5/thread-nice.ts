import { setPriority } from 'node:os';

/** What a thread asked for and got (WriterStats.threadNice). */
export interface ThreadNice {
  requested: number;
  /** The nice value the thread now has, or null when the request was refused. */
  applied: number | null;
  /** Why it was refused (e.g. a negative value without CAP_SYS_NICE). */
  refused?: string;
}

/**
 * Sets the calling thread's nice value. On Linux the nice value is per thread
 * (`setpriority(PRIO_PROCESS, 0, …)` from a worker changes that worker only), so the HDF5
 * writer and the frame compressors can run ahead of the server's own event loop and of
 * everything else on a contended lab PC: when two cores are shared with a WebSocket fan-out and
 * the parameter logger, a writer at the same priority can fall a few seconds behind a 43 fps
 * camera and its bounded queue refuses frames. Below 0 needs root or CAP_SYS_NICE
 * (deploy/benchtop.service grants it); a refusal leaves the thread as it was and is reported.
 */
export function applyThreadNice(
  requested: number,
  set: (pid: number, priority: number) => void = setPriority,
): ThreadNice {
  try {
    set(0, requested);
    return { requested, applied: requested };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    const why =
      code === 'EACCES' || code === 'EPERM'
        ? `not permitted (${code}: a nice value below 0 needs root or CAP_SYS_NICE)`
        : (error as Error).message;
    return { requested, applied: null, refused: why };
  }
}
