import { mkdirSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { AnalysisParameters, defaultAnalysisParameters } from '../analysis/retinotopy/analysis-parameters.ts';
import type { AnatomicalSnapshot } from '../analysis/retinotopy/anatomical-on-grid.ts';
import { FourierWorkerPool } from '../analysis/retinotopy/fourier-worker-pool.ts';
import type { RetinotopyAnalysis } from '../analysis/retinotopy/retinotopy-analysis.ts';
import type { AnalysisResults } from '../analysis/retinotopy/session-files/analysis-results-file.ts';
import { StageWorker } from '../analysis/retinotopy/stage-worker-client.ts';
import type { EventBus } from '../core/bus.ts';
import type { Clock } from '../core/clock.ts';
import { BenchtopError } from '../core/errors.ts';
import type { BenchtopEvents } from '../core/events.ts';
import type { Logger } from '../core/logger.ts';
import { IsiOnlineMaps } from './isi-online-maps.ts';

export interface IsiAnalysisInfo {
  id: string;
  session: string;
  state: 'recording' | 'accumulating' | 'computing' | 'done' | 'failed';
  frames_done: number;
  frames_total: number;
  parameters: AnalysisParameters;
  areas: { label: number; area_px: number; sign: number; AU: number; AS: number }[];
  error: string | null;
}

interface Entry {
  info: IsiAnalysisInfo;
  analysis?: RetinotopyAnalysis;
  results?: AnalysisResults;
  /** The session's online maps while (and after) it was recorded by this server. */
  online?: IsiOnlineMaps;
  /** Where the finished results were written (the guide's analysis_results.h5). */
  resultsFile?: string;
  /** Settles when the latest start (accumulation or recompute) has finished. */
  settled: Promise<void>;
}

/**
 * The analysis of sessions under the output directory (a Benchtop session file or a guide-layout
 * directory): start_analysis accumulates a session's frames once; starting it again with other
 * parameters recomputes only the stages those parameters change (RetinotopyAnalysis caches them).
 */
export class IsiAnalysisService {
  private readonly dir: string;
  private readonly log: Logger;
  private readonly entries = new Map<string, Entry>();
  private pool?: FourierWorkerPool;
  /** Stages 2–4 of every analysis and online read-out: never on the event loop. */
  private readonly stages = new StageWorker();

  constructor(options: { outputDir: string; log: Logger }) {
    this.dir = resolve(options.outputDir);
    this.log = options.log;
  }

  /** A session path inside the output directory (absolute or relative to it); never outside. */
  private sessionPath(session: string): string {
    const path = resolve(this.dir, session);
    const rel = relative(this.dir, path);
    if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) {
      throw new BenchtopError('VALUE_INVALID', `session ${session} is not inside the output directory`, {
        session,
      });
    }
    return path;
  }

  start(session: string, overrides: Record<string, unknown> = {}): IsiAnalysisInfo {
    const path = this.sessionPath(session);
    const parameters = { ...defaultAnalysisParameters(), ...overrides };
    if (!Value.Check(AnalysisParameters, parameters)) {
      const first = [...Value.Errors(AnalysisParameters, parameters)][0];
      throw new BenchtopError('VALUE_INVALID', `analysis parameter ${first?.path}: ${first?.message}`, {
        path: first?.path,
      });
    }
    const id = relative(this.dir, path);
    const known = this.entries.get(id);
    if (known?.info.state === 'recording') {
      throw new BenchtopError('RUN_STATE_CONFLICT', `session ${id} is still being recorded`, { id });
    }
    const previous = known;
    const entry: Entry = previous ?? {
      info: {
        id,
        session: id,
        state: 'accumulating',
        frames_done: 0,
        frames_total: 0,
        parameters,
        areas: [],
        error: null,
      },
      settled: Promise.resolve(),
    };
    entry.info = {
      ...entry.info,
      parameters,
      error: null,
      state: previous?.analysis ? 'computing' : 'accumulating',
      ...(previous?.analysis ? {} : { frames_done: 0, frames_total: 0 }),
    };
    this.entries.set(id, entry);
    entry.settled = entry.settled
      .then(() => this.run(entry, path, parameters))
      .catch((err: Error) => {
        entry.info = { ...entry.info, state: 'failed', error: err.message };
        this.log.warn({ session: id, err: err.message }, 'isi analysis failed');
      });
    return entry.info;
  }

  private async run(entry: Entry, path: string, parameters: AnalysisParameters): Promise<void> {
    // Reading sessions and writing results go through h5wasm (a 4 MB module and its WebAssembly
    // heap), and the maps and segmentation are some twenty modules: loaded by the first
    // analysis, not by every server that might run one.
    const [{ openSession }, { writeAnalysisResults }, { RetinotopyAnalysis }, { assertSameFrameSize }] =
      await Promise.all([
        import('../analysis/retinotopy/analyze-session.ts'),
        import('../analysis/retinotopy/session-files/analysis-results-file.ts'),
        import('../analysis/retinotopy/retinotopy-analysis.ts'),
        import('../analysis/retinotopy/retinotopy-maps.ts'),
      ]);
    if (!entry.analysis) {
      const session = await openSession(path);
      try {
        assertSameFrameSize(session.recordings);
        this.pool ??= new FourierWorkerPool();
        const analysis = new RetinotopyAnalysis(
          this.pool,
          this.stages,
          session.recordings,
          session.anatomical,
        );
        await analysis.accumulateAll(parameters.chunk_frames, (done, total) => {
          entry.info = { ...entry.info, frames_done: done, frames_total: total };
        });
        entry.analysis = analysis;
      } finally {
        session.close();
      }
      entry.info = { ...entry.info, state: 'computing' };
    }
    const results = await entry.analysis.results(parameters);
    const file = resultsFileOf(path);
    mkdirSync(dirname(file), { recursive: true });
    await writeAnalysisResults(file, results);
    entry.resultsFile = file;
    entry.results = results;
    entry.info = {
      ...entry.info,
      state: 'done',
      areas: results.segmentation.areas.map((a) => ({
        label: a.label,
        area_px: a.areaPx,
        sign: a.sign,
        AU: a.au,
        AS: a.as,
      })),
    };
  }

  get(id: string): IsiAnalysisInfo {
    const entry = this.entry(id);
    if (entry.info.state === 'recording' && entry.online) {
      const frames = Object.values(entry.online.framesPerDirection()).reduce((a, b) => a + b, 0);
      entry.info = { ...entry.info, frames_done: frames, frames_total: frames };
    }
    return entry.info;
  }

  /**
   * The online maps of a session the server is recording into `path` (under the output
   * directory): its analysis id is the file's relative path, as for start_analysis, and its
   * layers are readable (layerResults) while it records. The returned observer goes to the
   * recorder.
   */
  follow(options: {
    session: string;
    path: string;
    bus: EventBus<BenchtopEvents>;
    clock: Clock;
    /** The anatomical snapshot the recording will store, when one has been taken. */
    anatomical?: () => AnatomicalSnapshot | null;
  }): IsiOnlineMaps {
    const path = this.sessionPath(options.path);
    const id = relative(this.dir, path);
    this.pool ??= new FourierWorkerPool();
    const parameters = defaultAnalysisParameters();
    const online = new IsiOnlineMaps({
      session: options.session,
      analysis: id,
      pool: this.pool,
      stages: this.stages,
      bus: options.bus,
      clock: options.clock,
      parameters: () => this.entries.get(id)?.info.parameters ?? parameters,
      ...(options.anatomical ? { anatomical: options.anatomical } : {}),
    });
    this.entries.set(id, {
      info: {
        id,
        session: id,
        state: 'recording',
        frames_done: 0,
        frames_total: 0,
        parameters,
        areas: [],
        error: null,
      },
      online,
      settled: Promise.resolve(),
    });
    return online;
  }

  /**
   * The recording behind `id` has ended: its analysis starts from the file (areas, the results
   * file); until it is done, layers still come from the online maps.
   */
  recordingEnded(id: string): void {
    const entry = this.entries.get(id);
    if (entry?.info.state !== 'recording') return;
    // A session cut short before every direction was swept cannot give maps from its file:
    // say which directions are missing instead of reading the whole file to find out. Its
    // online maps stay readable as layers.
    const unswept = entry.online?.unswept() ?? [];
    if (unswept.length > 0) {
      entry.info = {
        ...entry.info,
        state: 'failed',
        error: `session ${id} has no sweep of ${unswept.join(', ')}; the analysis needs all four directions`,
      };
      return;
    }
    entry.info = { ...entry.info, state: 'accumulating' };
    this.start(id, entry.info.parameters);
  }

  /**
   * What get_analysis_layer draws from: the finished results, or while the session is still
   * being recorded (or analysed after it), its online maps so far.
   */
  async layerResults(id: string): Promise<AnalysisResults> {
    const entry = this.entry(id);
    if (entry.online && !(entry.info.state === 'done' && entry.results)) {
      const online = await entry.online.results(entry.info.parameters);
      if (online) return online;
      throw new BenchtopError('RUN_STATE_CONFLICT', `session ${id} has no camera frame of a sweep yet`, {
        id,
        state: entry.info.state,
      });
    }
    return this.results(id);
  }

  /**
   * The finished analysis's results file (analysis_results.h5 beside the session): only the file
   * this service wrote for `id`, and only while it is still a file inside the output directory
   * (a symlink swapped in for it that leads elsewhere is refused).
   */
  resultsFile(id: string): string {
    const entry = this.entry(id);
    if (!entry.resultsFile || entry.info.state !== 'done') {
      throw new BenchtopError(
        'RUN_STATE_CONFLICT',
        `analysis ${id} has no results file yet (${entry.info.state})`,
        { id, state: entry.info.state },
      );
    }
    let root: string;
    let path: string;
    try {
      root = realpathSync(this.dir);
      path = realpathSync(entry.resultsFile);
    } catch {
      throw new BenchtopError('NOT_FOUND', `the results file of analysis ${id} is gone`, { id });
    }
    if (!path.startsWith(root + sep) || !statSync(path).isFile()) {
      throw new BenchtopError(
        'NOT_FOUND',
        `the results file of analysis ${id} is not inside the output directory`,
        { id },
      );
    }
    return path;
  }

  /** Waits until the analysis's latest start has finished (tests, and clients that long-poll). */
  async settled(id: string): Promise<IsiAnalysisInfo> {
    await this.entry(id).settled;
    return this.entry(id).info;
  }

  results(id: string): AnalysisResults {
    const entry = this.entry(id);
    if (!entry.results || entry.info.state !== 'done') {
      throw new BenchtopError('RUN_STATE_CONFLICT', `analysis ${id} is ${entry.info.state}, not done`, {
        id,
        state: entry.info.state,
      });
    }
    return entry.results;
  }

  private entry(id: string): Entry {
    const entry = this.entries.get(id);
    if (!entry) throw new BenchtopError('NOT_FOUND', `no analysis of session ${id}`, { id });
    return entry;
  }

  async close(): Promise<void> {
    await Promise.all([...this.entries.values()].map((e) => e.settled));
    await Promise.all([this.pool?.close(), this.stages.close()]);
  }
}

/**
 * Where a session's analysis_results.h5 goes: inside a guide-layout directory, or for a session
 * file `X.h5` in the directory `X/` beside it (where the session's guide export also goes).
 */
export function resultsFileOf(sessionPath: string): string {
  if (extname(sessionPath) === '.h5') {
    return join(dirname(sessionPath), basename(sessionPath, '.h5'), 'analysis_results.h5');
  }
  return join(sessionPath, 'analysis_results.h5');
}
