import { isAbsolute, relative, resolve } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { AnalysisParameters, defaultAnalysisParameters } from '../analysis/retinotopy/analysis-parameters.ts';
import { openSession } from '../analysis/retinotopy/analyze-session.ts';
import { FourierWorkerPool } from '../analysis/retinotopy/fourier-worker-pool.ts';
import { RetinotopyAnalysis } from '../analysis/retinotopy/retinotopy-analysis.ts';
import { assertSameFrameSize } from '../analysis/retinotopy/retinotopy-maps.ts';
import type { AnalysisResults } from '../analysis/retinotopy/session-files/analysis-results-file.ts';
import { BenchtopError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';

export interface IsiAnalysisInfo {
  id: string;
  session: string;
  state: 'accumulating' | 'computing' | 'done' | 'failed';
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
    const previous = this.entries.get(id);
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
    if (!entry.analysis) {
      const session = await openSession(path);
      try {
        assertSameFrameSize(session.recordings);
        this.pool ??= new FourierWorkerPool();
        const analysis = new RetinotopyAnalysis(this.pool, session.recordings);
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
    return this.entry(id).info;
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
    await this.pool?.close();
  }
}
