import { statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseAnalysisSettings } from '../../analysis/retinotopy/analysis-parameters.ts';
import { analyzeSession } from '../../analysis/retinotopy/analyze-session.ts';
import {
  readPositionMaps,
  writeAnalysisResults,
} from '../../analysis/retinotopy/session-files/analysis-results-file.ts';
import { StageWorker } from '../../analysis/retinotopy/stage-worker-client.ts';
import type { Invocation } from '../command-spec.ts';
import { ProgressBar } from './run-progress-bar.ts';

interface IsiOptions {
  out?: string;
  set?: string[];
}

// `benchtop isi analyze SESSION` and `benchtop isi segment --maps FILE`: the retinotopy analysis
// offline (src/analysis/retinotopy), writing the guide's analysis_results.h5.

export async function isiAnalyze(inv: Invocation<IsiOptions, { session: string }>): Promise<void> {
  const { session } = inv.args;
  const parameters = parseAnalysisSettings(inv.options.set);
  // Beside a session file, inside a session directory.
  const isDirectory = statSync(session, { throwIfNoEntry: false })?.isDirectory() ?? false;
  const out = inv.options.out ?? join(isDirectory ? session : dirname(session), 'analysis_results.h5');
  const bar = new ProgressBar(inv.err, 'analyze');
  const results = await analyzeSession(session, parameters, (done, total) =>
    bar.update({ done, total, eta_s: null, state: 'fourier' }),
  );
  bar.finish();
  await writeAnalysisResults(out, results);
  inv.out.write(`${results.segmentation.areas.length} areas; results in ${out}\n`);
}

export async function isiSegment(inv: Invocation<IsiOptions & { maps: string }, unknown>): Promise<void> {
  const parameters = parseAnalysisSettings(inv.options.set);
  const { grid, azimuth, altitude } = await readPositionMaps(inv.options.maps);
  // The stage worker, as the server and `isi analyze` segment (the same results, bit for bit).
  const stages = new StageWorker();
  const segmentation = await stages
    .segment(azimuth, altitude, grid, parameters)
    .finally(() => stages.close());
  const out = inv.options.out ?? join(inv.options.maps, '..', 'analysis_results.h5');
  await writeAnalysisResults(out, { grid, azimuth, altitude, segmentation, parameters });
  inv.out.write(`${segmentation.areas.length} areas; results in ${out}\n`);
}
