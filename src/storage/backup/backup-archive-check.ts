import { BenchtopError } from '../../core/errors.ts';

/** What a valid Benchtop backup archive holds, read before anything is written. */
export interface ArchiveContents {
  manifest: Record<string, unknown>;
  /** Paths of the regular files under data/, relative to data/. */
  dataFiles: string[];
  /** The one configuration file under config/, if the backup has one. */
  configFile: string | null;
}

const MANIFEST_MAX_BYTES = 64 * 1024;
const FILE_TYPES = new Set(['File', 'OldFile', 'ContiguousFile']);

/**
 * Reads the whole archive (its headers, and MANIFEST.json's content) and refuses it when any
 * entry is a link, a device or anything but a regular file or directory, or lies outside the
 * entries a backup has (MANIFEST.json, config/<one file>, data/…). A backup is restored
 * only after this passes, so a bad archive leaves nothing half-restored.
 */
export async function checkBackupArchive(archive: string): Promise<ArchiveContents> {
  const tar = await import('tar');
  const problems: string[] = [];
  const dataFiles: string[] = [];
  const configFiles: string[] = [];
  const manifestChunks: Buffer[] = [];
  let manifestBytes = -1;
  try {
    await tar.t({
      file: archive,
      strict: true,
      onReadEntry: (entry) => {
        // `tar -C dir .` writes ./data/…: the same entries.
        const path = entry.path.replace(/^(\.\/)+/, '').replace(/\/+$/, '');
        if ((path === '' || path === '.') && entry.type === 'Directory') return void entry.resume();
        const where = entryProblem(path);
        const isFile = FILE_TYPES.has(entry.type);
        if (where) problems.push(`${entry.path}: ${where}`);
        else if (!isFile && entry.type !== 'Directory')
          problems.push(
            `${entry.path}: ${entry.type}${entry.linkpath ? ` to ${entry.linkpath}` : ''} (only regular files and directories are restored)`,
          );
        else if (isFile && path === 'MANIFEST.json') {
          if (entry.size > MANIFEST_MAX_BYTES)
            problems.push(`MANIFEST.json: ${entry.size} bytes is too large`);
          else {
            manifestBytes = 0;
            entry.on('data', (chunk: Buffer) => {
              manifestBytes += chunk.length;
              manifestChunks.push(chunk);
            });
          }
        } else if (isFile && path.startsWith('config/')) {
          if (path.split('/').length !== 2)
            problems.push(`${entry.path}: config/ holds one file, not directories`);
          else configFiles.push(path.slice('config/'.length));
        } else if (isFile && path.startsWith('data/')) dataFiles.push(path.slice('data/'.length));
        else if (isFile) problems.push(`${entry.path}: a file where a backup has a directory`);
        entry.resume();
      },
    });
  } catch (error) {
    throw new BenchtopError(
      'BACKUP_INVALID',
      `${archive} is not a readable tar.gz archive: ${(error as Error).message}`,
      { archive },
      { cause: error },
    );
  }
  if (configFiles.length > 1) problems.push(`config/ holds ${configFiles.length} files, a backup has one`);
  if (manifestBytes < 0 && !problems.some((p) => p.startsWith('MANIFEST.json')))
    problems.push('no MANIFEST.json: not a Benchtop backup');
  let manifest: Record<string, unknown> = {};
  if (manifestBytes >= 0) {
    try {
      const parsed = JSON.parse(Buffer.concat(manifestChunks).toString('utf8')) as unknown;
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        throw new Error('not an object');
      manifest = parsed as Record<string, unknown>;
    } catch (error) {
      problems.push(`MANIFEST.json: not a JSON object (${(error as Error).message})`);
    }
  }
  if (problems.length > 0)
    throw new BenchtopError(
      'BACKUP_INVALID',
      `${archive} was not restored (nothing was written): ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? `; and ${problems.length - 5} more` : ''}`,
      { archive, problems },
    );
  return { manifest, dataFiles, configFile: configFiles[0] ?? null };
}

/** Why a path may not appear in a backup, or undefined when it may. */
function entryProblem(path: string): string | undefined {
  if (path === '' || path.startsWith('/') || /^[A-Za-z]:/.test(path)) return 'absolute path';
  if (path.includes('\\') || path.includes('\0')) return 'path with a backslash or NUL';
  const parts = path.split('/');
  if (parts.some((p) => p === '..' || p === '.' || p === '')) return 'path with "..", "." or an empty part';
  const top = parts[0];
  if (path === 'MANIFEST.json' || top === 'config' || top === 'data') return undefined;
  return 'not part of a Benchtop backup (MANIFEST.json, config/, data/)';
}
