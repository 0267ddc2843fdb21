import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { parseAnalysisSettings } from '../../analysis/retinotopy/analysis-parameters.ts';
import { analyzeGuideSession } from '../../analysis/retinotopy/analyze-session.ts';
import { segmentAreas } from '../../analysis/retinotopy/segmentation/area-segmentation.ts';
import {
  readPositionMaps,
  writeAnalysisResults,
} from '../../analysis/retinotopy/session-files/analysis-results-file.ts';
import { BenchtopError } from '../../core/errors.ts';
import { ProgressBar } from './run-progress-bar.ts';

const collect = (value: string, previous: string[] = []) => [...previous, value];

interface IsiOptions {
  out?: string;
  set?: string[];
}

/**
 * `benchtop isi analyze SESSION` and `benchtop isi segment --maps FILE`: the retinotopy analysis
 * offline (src/analysis/retinotopy), writing the guide's analysis_results.h5.
 */
export function isiCommand(stdout: NodeJS.WritableStream = process.stdout, stderr = process.stderr): Command {
  const isi = new Command('isi').description('intrinsic-signal imaging: retinotopy analysis');
  isi
    .command('analyze <session>')
    .description(
      "maps and visual areas from a session directory in the imaging guide's layout ({LR,RL,TB,BT}_camera.h5, {dir}_stimulus.h5, metadata.json)",
    )
    .option('--out <file>', 'results file (default: SESSION/analysis_results.h5)')
    .option(
      '--set <analysis.key=value>',
      'analysis parameter, e.g. --set analysis.sign_map_threshold=0.3 (repeatable)',
      collect,
    )
    .action(async (session: string, options: IsiOptions) => {
      const parameters = parseAnalysisSettings(options.set);
      if (!existsSync(session) || !statSync(session).isDirectory()) {
        throw new BenchtopError('NOT_FOUND', `${session} is not a session directory in the guide's layout`, {
          session,
        });
      }
      const out = options.out ?? join(session, 'analysis_results.h5');
      const bar = new ProgressBar(stderr, 'analyze');
      const results = await analyzeGuideSession(session, parameters, (done, total) =>
        bar.update({ done, total, eta_s: null, state: 'fourier' }),
      );
      bar.finish();
      await writeAnalysisResults(out, results);
      stdout.write(`${results.segmentation.areas.length} areas; results in ${out}\n`);
    });
  isi
    .command('segment')
    .description('visual areas alone from a file holding azimuth_map and elevation_map (degrees)')
    .requiredOption('--maps <file>', 'HDF5 file with azimuth_map and elevation_map')
    .option('--out <file>', 'results file (default: analysis_results.h5 beside the maps)')
    .option('--set <analysis.key=value>', 'analysis parameter (repeatable)', collect)
    .action(async (options: IsiOptions & { maps: string }) => {
      const parameters = parseAnalysisSettings(options.set);
      const { grid, azimuth, altitude } = await readPositionMaps(options.maps);
      const segmentation = segmentAreas(azimuth, altitude, grid, parameters);
      const out = options.out ?? join(options.maps, '..', 'analysis_results.h5');
      await writeAnalysisResults(out, { grid, azimuth, altitude, segmentation, parameters });
      stdout.write(`${segmentation.areas.length} areas; results in ${out}\n`);
    });
  return isi;
}
