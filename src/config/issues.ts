import { BenchtopError } from '../core/errors.ts';
import type { TomlPath } from './toml-positions.ts';

/** One thing wrong with the configuration, with where it is. */
export interface ConfigIssue {
  path: TomlPath;
  message: string;
  /** The file, environment variable or flag the bad value came from. */
  source?: string;
  line?: number;
  column?: number;
}

/** `instruments[2].config.serial_port` */
export function formatPath(path: TomlPath): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? p : `.${p}`;
  return out || '(root)';
}

export function formatIssue(issue: ConfigIssue): string {
  const where: string[] = [];
  if (issue.line !== undefined)
    where.push(`line ${issue.line}${issue.column !== undefined ? `, column ${issue.column}` : ''}`);
  if (issue.source && issue.line === undefined) where.push(`from ${issue.source}`);
  return `${formatPath(issue.path)}: ${issue.message}${where.length ? ` (${where.join('; ')})` : ''}`;
}

/** Every problem found in one pass; the message lists them all. */
export class ConfigError extends BenchtopError {
  readonly issues: ConfigIssue[];
  readonly file: string | undefined;

  constructor(issues: ConfigIssue[], file?: string) {
    const head = file ? `${file}: ` : '';
    const n = issues.length;
    super(
      'CONFIG_INVALID',
      `${head}${n} configuration problem${n === 1 ? '' : 's'}:\n${issues.map((i) => `  - ${formatIssue(i)}`).join('\n')}`,
      { issues: issues.map((i) => ({ ...i, path: formatPath(i.path) })) },
    );
    this.name = 'ConfigError';
    this.issues = issues;
    this.file = file;
  }
}
