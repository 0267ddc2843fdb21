import type { Dataset } from 'h5wasm/node';
import { BenchtopError } from '../../../core/errors.ts';
import type { AnalysisParameters } from '../analysis-parameters.ts';
import { DIRECTIONS } from '../direction-recording.ts';
import type { Grid } from '../morphology/image.ts';
import type { RetinotopyMaps } from '../retinotopy-maps.ts';
import type { AreaSegmentation } from '../segmentation/area-segmentation.ts';
import { h5Ready, openH5File } from './h5-files.ts';

/**
 * The guide's `analysis_results.h5`. Maps are H × W datasets at the root: azimuth_map and
 * elevation_map (degrees), raw_vfs_map, coherence_vfs_map, area_map (int32, 0 = no area),
 * boundary_map (uint8); per direction phase_map/{LR,RL,TB,BT} (radians), magnitude_map/{dir},
 * coherence_map/{dir}; per axis delay_map/{azimuth,altitude} (radians of the sweep period); and
 * `areas`, a table stored as one 1-D dataset per column (label, area_px, sign, AU, AS). The
 * analysis parameters are attributes of the root. With the session's anatomical snapshot,
 * `anatomical` (float32, on the maps' grid; attr source = "snapshot").
 */
export interface AnalysisResults {
  grid: Grid;
  azimuth: Float64Array;
  altitude: Float64Array;
  maps?: RetinotopyMaps;
  /** The session's anatomical snapshot on the maps' grid (anatomical-on-grid.ts), when it has one. */
  snapshot?: Float32Array;
  segmentation: AreaSegmentation;
  parameters: AnalysisParameters;
}

export async function writeAnalysisResults(path: string, results: AnalysisResults): Promise<void> {
  await h5Ready();
  const file = openH5File(path, 'w');
  try {
    const { width, height } = results.grid;
    const map = (
      name: string,
      data: Float64Array | Float32Array | Int32Array | Uint8Array,
      dtype: string,
      units?: string,
    ) => {
      file.create_dataset({ name, data, shape: [height, width], dtype });
      if (units) (file.get(name) as Dataset).create_attribute('units', units);
    };
    map('azimuth_map', results.azimuth, '<f8', 'degree');
    map('elevation_map', results.altitude, '<f8', 'degree');
    const seg = results.segmentation;
    map('area_map', seg.areaMap, '<i4');
    map('boundary_map', seg.boundaryMap, '<B');
    map('sign_map', seg.signMap, '<f8');
    map('sign_map_filtered', seg.signMapFiltered, '<f8');
    if (results.maps) {
      const m = results.maps;
      map('raw_vfs_map', m.rawVfs, '<f8');
      map('coherence_vfs_map', m.coherenceVfs, '<f8');
      for (const group of [
        'phase_map',
        'magnitude_map',
        'coherence_map',
        'delta_r_over_r_map',
        'mean_image',
        'delay_map',
      ]) {
        file.create_group(group);
      }
      for (const d of DIRECTIONS) {
        const f = m.fourier[d];
        map(`phase_map/${d}`, f.phase, '<f8', 'radian');
        map(`magnitude_map/${d}`, f.magnitude, '<f8');
        map(`coherence_map/${d}`, f.coherence, '<f8');
        map(`delta_r_over_r_map/${d}`, f.deltaROverR, '<f8');
        map(`mean_image/${d}`, f.mean, '<f8');
      }
      map('delay_map/azimuth', m.azimuthDelay, '<f8', 'radian');
      map('delay_map/altitude', m.altitudeDelay, '<f8', 'radian');
    } else {
      // Segmentation alone: the VFS of the given maps (no coherence to weigh it by).
      map('raw_vfs_map', seg.signMap, '<f8');
    }
    if (results.snapshot) {
      map('anatomical', results.snapshot, '<f4');
      const ds = file.get('anatomical') as Dataset;
      ds.create_attribute('source', 'snapshot');
    }
    file.create_group('areas');
    const rows = seg.areas;
    const column = (name: string, data: Float64Array | Int32Array, dtype: string) =>
      file.create_dataset({ name: `areas/${name}`, data, shape: [rows.length], dtype });
    column(
      'label',
      Int32Array.from(rows, (r) => r.label),
      '<i4',
    );
    column(
      'area_px',
      Int32Array.from(rows, (r) => r.areaPx),
      '<i4',
    );
    column(
      'sign',
      Int32Array.from(rows, (r) => r.sign),
      '<i4',
    );
    column(
      'AU',
      Float64Array.from(rows, (r) => r.au),
      '<f8',
    );
    column(
      'AS',
      Float64Array.from(rows, (r) => r.as),
      '<f8',
    );
    for (const [key, value] of Object.entries(results.parameters)) {
      file.create_attribute(`analysis.${key}`, typeof value === 'boolean' ? String(value) : value);
    }
  } finally {
    file.close();
  }
}

/** azimuth_map and elevation_map (degrees) from a results file or any file holding them. */
export async function readPositionMaps(
  path: string,
): Promise<{ grid: Grid; azimuth: Float64Array; altitude: Float64Array }> {
  await h5Ready();
  const file = openH5File(path, 'r');
  try {
    const read = (name: string) => {
      const entity = file.get(name);
      if (!entity || !('shape' in entity)) {
        throw new BenchtopError('STORAGE_ERROR', `${path} has no dataset "${name}"`, { path, name });
      }
      const ds = entity as Dataset;
      const shape = ds.shape ?? [];
      if (shape.length !== 2)
        throw new BenchtopError('STORAGE_ERROR', `${path}: ${name} is not 2-D`, { path, shape });
      return { shape: shape as [number, number], data: Float64Array.from(ds.value as ArrayLike<number>) };
    };
    const az = read('azimuth_map');
    const alt = read('elevation_map');
    if (az.shape[0] !== alt.shape[0] || az.shape[1] !== alt.shape[1]) {
      throw new BenchtopError('STORAGE_ERROR', `${path}: azimuth_map and elevation_map differ in shape`, {
        path,
      });
    }
    return { grid: { width: az.shape[1], height: az.shape[0] }, azimuth: az.data, altitude: alt.data };
  } finally {
    file.close();
  }
}
