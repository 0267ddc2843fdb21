import { spawnSync } from 'node:child_process';
import h5wasm, { type Dataset, type File, type Group } from 'h5wasm/node';

/**
 * Reads a run file back for the tests with h5wasm on the test's own thread (its own HDF5
 * library instance, independent of the writer's worker), like any other reader process.
 */
export class RunFileReader {
  private readonly file: File;

  private constructor(file: File) {
    this.file = file;
  }

  /** `swmr`: open the way a reader follows a file that is still being written. */
  static async open(path: string, mode: 'r' | 'swmr' = 'r'): Promise<RunFileReader> {
    const module = await h5wasm.ready;
    // Throw on HDF5 errors (the default only prints them and hands back an invalid file).
    module.activate_throwing_error_handler();
    return new RunFileReader(new h5wasm.File(path, mode === 'swmr' ? 'Sr' : 'r'));
  }

  has(path: string): boolean {
    return this.file.get(path) !== null;
  }

  dataset(path: string): Dataset {
    const entity = this.file.get(path);
    if (!(entity instanceof h5wasm.Dataset)) throw new Error(`${path} is not a dataset`);
    return entity;
  }

  group(path: string): Group {
    const entity = this.file.get(path);
    if (!(entity instanceof h5wasm.Group)) throw new Error(`${path} is not a group`);
    return entity;
  }

  keys(path: string): string[] {
    return this.group(path).keys().sort();
  }

  /** A dataset's values as plain numbers, strings or booleans. */
  values(path: string): unknown[] {
    const value = this.dataset(path).value;
    if (typeof value === 'string') return [value];
    return Array.from(value as ArrayLike<unknown>, (v) => (typeof v === 'bigint' ? Number(v) : v));
  }

  scalar(path: string): unknown {
    const value = this.dataset(path).value;
    return typeof value === 'bigint' ? Number(value) : value;
  }

  attr(path: string, name: string): unknown {
    const owner = path === '/' ? this.file : this.file.get(path);
    if (!owner || !('attrs' in owner)) throw new Error(`no object at ${path}`);
    const attribute = owner.attrs[name];
    if (!attribute) return undefined;
    const value = attribute.json_value;
    return typeof value === 'bigint' ? Number(value) : value;
  }

  close(): void {
    this.file.close();
  }
}

/** Whether a Debian tool is on PATH (tests that need it skip with a reason when it is not). */
export function hasCommand(command: string, args: string[] = ['--version']): boolean {
  return spawnSync(command, args, { stdio: 'ignore' }).error === undefined;
}

export const PYTHON = '/usr/bin/python3';

export function hasH5py(): boolean {
  return spawnSync(PYTHON, ['-c', 'import h5py, numpy'], { stdio: 'ignore' }).status === 0;
}
