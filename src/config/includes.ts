import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse, TomlError } from 'smol-toml';
import type { InstrumentConfigSchemas } from './instrument-schemas.ts';
import { type ConfigIssue, formatPath } from './issues.ts';
import { type TomlPath, TomlPositionIndex } from './toml-positions.ts';

/**
 * `includes: [{ key: "points_file", array: "points" }]` on an instrument's config schema: the
 * file named by `key` (TOML, relative to the configuration file) holds more `[[array]]` entries,
 * appended to the inline ones. Each included entry is recorded as coming from its line in that
 * file, so a problem in it is reported there ("from ald-points.toml, line 12").
 */
interface IncludeRule {
  key: string;
  array: string;
}

type Table = Record<string, unknown>;

export function expandInstrumentIncludes(
  root: Table,
  configFile: string | undefined,
  sources: Map<string, string>,
  schemas: InstrumentConfigSchemas,
): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const instruments = Array.isArray(root.instruments) ? root.instruments : [];
  instruments.forEach((entry: unknown, index) => {
    if (typeof entry !== 'object' || entry === null) return;
    const { type, config } = entry as { type?: unknown; config?: unknown };
    const rules = schemas[String(type)]?.includes as IncludeRule[] | undefined;
    if (!rules || typeof config !== 'object' || config === null) return;
    for (const rule of rules) {
      const name = (config as Table)[rule.key];
      if (typeof name !== 'string') continue;
      const base: TomlPath = ['instruments', index, 'config'];
      const at = [...base, rule.key];
      const path = resolve(configFile ? dirname(configFile) : process.cwd(), name);
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch (error) {
        const reason =
          (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (error as Error).message;
        issues.push({ path: at, message: `cannot read ${path}: ${reason}` });
        continue;
      }
      let parsed: Table;
      try {
        parsed = parse(text) as Table;
      } catch (error) {
        const where = error instanceof TomlError ? `, line ${error.line}` : '';
        const first = (error as Error).message.split('\n')[0];
        issues.push({ path: at, message: `${name}${where}: TOML syntax error: ${first}` });
        continue;
      }
      const items = parsed[rule.array];
      if (!Array.isArray(items)) {
        issues.push({ path: at, message: `${name} has no [[${rule.array}]] entries` });
        continue;
      }
      const inline = (config as Table)[rule.array];
      const target = Array.isArray(inline) ? inline : [];
      (config as Table)[rule.array] = target;
      const positions = new TomlPositionIndex(text);
      const label = (line: number | undefined) =>
        `${/^file/i.test(name) ? `./${name}` : name}, line ${line ?? '?'}`;
      items.forEach((item, k) => {
        const merged = [...base, rule.array, target.length];
        sources.set(formatPath(merged), label(positions.find([rule.array, k])?.line));
        if (typeof item === 'object' && item !== null)
          for (const key of Object.keys(item))
            sources.set(formatPath([...merged, key]), label(positions.find([rule.array, k, key])?.line));
        target.push(item);
      });
    }
  });
  return issues;
}
