import type { RunStart, StreamResource } from '../../core/documents.ts';

/**
 * Where a run's data lives in its HDF5 file (docs/decisions/0004-hdf5-layout.md). Pure
 * functions, so the run engine can build stream_resource documents that point at exactly the
 * rows this writer fills.
 */

export const ENTRY = '/entry';
export const HDF5_MIMETYPE = 'application/x-hdf5';

/** Dataset names the writer uses itself in every stream group. */
const RESERVED_NAMES = new Set(['time', 'seq_num', 'timestamps']);

/** `<YYYYmmdd-HHMMSS>_<plan>_<uid8>.h5`, the time in UTC so names never depend on the host's zone. */
export function runFileName(start: Pick<RunStart, 'time' | 'plan_name' | 'uid'>): string {
  const iso = new Date(start.time * 1000).toISOString(); // 2026-01-01T12:34:56.789Z
  const stamp = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}-${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}`;
  const plan = start.plan_name.replace(/[^A-Za-z0-9_-]+/g, '-').slice(0, 40) || 'run';
  const uid8 = start.uid.replace(/[^A-Za-z0-9]/g, '').slice(0, 8) || 'nouid';
  return `${stamp}_${plan}_${uid8}.h5`;
}

/** An HDF5 link name for a document key: `/` is the path separator, `.` alone means "here". */
export function linkName(key: string): string {
  const name = key.replaceAll('/', '_');
  return name === '' || name === '.' || name === '..' ? `_${name}` : name;
}

/** The group of an event stream: `primary` is NeXus's default plot, `/entry/data`. */
export function streamGroupPath(stream: string): string {
  return stream === 'primary' ? `${ENTRY}/data` : `${ENTRY}/data_${linkName(stream)}`;
}

/** Dataset name of a data key inside its stream group (keys that clash with ours get `_field`). */
export function fieldName(dataKey: string): string {
  const name = linkName(dataKey);
  return RESERVED_NAMES.has(name) ? `${name}_field` : name;
}

/** Path of a camera data key's `(n, height, width)` dataset; `_frame_number` and `_timestamp` sit beside it. */
export function frameDatasetPath(stream: string, dataKey: string): string {
  return `${streamGroupPath(stream)}/${fieldName(dataKey)}`;
}

/**
 * The stream_resource fields for a camera data key written by this writer: row n of the dataset
 * is the n-th frame passed to `frame(dataKey, …)`, so stream_datum.indices count those calls.
 */
export function hdf5FrameResource(
  start: Pick<RunStart, 'time' | 'plan_name' | 'uid'>,
  stream: string,
  dataKey: string,
  /** [height, width], or [height, width, 3] for RGB. */
  shape: readonly number[],
): Pick<StreamResource, 'data_key' | 'mimetype' | 'uri' | 'parameters'> {
  return {
    data_key: dataKey,
    mimetype: HDF5_MIMETYPE,
    uri: `file://${runFileName(start)}`,
    parameters: { dataset: frameDatasetPath(stream, dataKey), chunk_shape: [1, ...shape] },
  };
}

/**
 * Whether a stream_resource is for frames kept in a file on another host (a camera on an agent:
 * its parameters name the `host` and the file's `path` there): such frames never reach this
 * host's writer, which records only the reference, and its stream_datum rows are the other
 * file's rows.
 */
export function framesOnAnotherHost(resource: Pick<StreamResource, 'parameters'>): boolean {
  return typeof resource.parameters.host === 'string' && typeof resource.parameters.path === 'string';
}

/** Suffix of the frames files that hold a run's compressed camera frames beside its run file. */
export const FRAMES_FILE_SUFFIX = '.frames.h5';

/**
 * The frames file of a camera data key whose frames are compressed (decision 0012):
 * `<run file stem>_<stream>_<key>.frames.h5` beside the run file, linked from its frame dataset.
 */
export function framesFileName(runFile: string, stream: string, dataKey: string): string {
  const stem = runFile.replace(/\.h5$/, '');
  const part = (s: string) => s.replace(/[^A-Za-z0-9_-]+/g, '-').slice(0, 40);
  return `${stem}_${part(stream)}_${part(dataKey)}${FRAMES_FILE_SUFFIX}`;
}
