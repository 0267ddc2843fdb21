import { existsSync } from 'node:fs';
import h5wasm, { type File } from 'h5wasm/node';
import { BenchtopError } from '../../../core/errors.ts';

/** h5wasm loaded, with HDF5 errors thrown (not printed) so they reach the caller. */
export async function h5Ready(): Promise<void> {
  const module = await h5wasm.ready;
  module.activate_throwing_error_handler();
}

/**
 * Opens a session or results file (after `h5Ready`): a missing file to read is NOT_FOUND, one
 * HDF5 cannot open or create is a STORAGE_ERROR naming the path and HDF5's reason.
 */
export function openH5File(path: string, mode: 'r' | 'w'): File {
  if (mode === 'r' && !existsSync(path))
    throw new BenchtopError('NOT_FOUND', `${path} does not exist`, { path });
  try {
    return new h5wasm.File(path, mode);
  } catch (err) {
    throw new BenchtopError(
      'STORAGE_ERROR',
      `cannot ${mode === 'r' ? 'open' : 'create'} ${path}: ${(err as Error).message}`,
      { path },
      { cause: err },
    );
  }
}
