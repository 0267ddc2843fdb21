import { join, resolve } from 'node:path';

/**
 * The one rule for where the rig's parameter file is, for the server and `benchtop isi params`
 * alike: `{storage.output_dir}/isi/isi_parameters.json` of the configuration in use (a relative
 * output_dir taken from the working directory, as the server takes it), with its backups in
 * `backups/` beside it. The guide kept it in `config/` of its backend; Benchtop keeps it with the
 * sessions it describes, so the server and the CLI on one configuration cannot disagree.
 */
export function isiParametersPath(outputDir: string): string {
  return join(resolve(outputDir), 'isi', 'isi_parameters.json');
}
