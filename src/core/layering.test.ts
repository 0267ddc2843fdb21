import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';

const SRC = resolve(import.meta.dirname, '..');

/** Every relative import of every .ts file under `folder`, as `file → imported folder path`. */
function importsOf(folder: string, { tests }: { tests: boolean }): { file: string; target: string }[] {
  const found: { file: string; target: string }[] = [];
  for (const entry of readdirSync(join(SRC, folder), { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
    if (!tests && entry.name.endsWith('.test.ts')) continue;
    const path = join(entry.parentPath, entry.name);
    const text = readFileSync(path, 'utf8');
    for (const m of text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g))
      found.push({ file: relative(SRC, path), target: relative(SRC, resolve(dirname(path), m[1]!)) });
  }
  return found;
}

const into = (targets: string[]) => (i: { target: string }) =>
  targets.some((t) => i.target === t || i.target.startsWith(`${t}/`));

describe('layering', () => {
  it('core imports nothing from the modules built on it (tests included)', () => {
    const imports = importsOf('core', { tests: true });
    assert.ok(imports.length > 20, 'the scan finds core’s own imports');
    const upward = imports.filter(
      into(['engine', 'server', 'alarms', 'storage', 'instruments', 'app', 'cli', 'config', 'sim']),
    );
    assert.deepEqual(upward, []);
  });

  it('the engine does not import storage (storage implements the engine’s writer interface)', () => {
    assert.deepEqual(importsOf('engine', { tests: false }).filter(into(['storage', 'server', 'app'])), []);
  });

  it('configuration validation does not reach into storage, the engine or the server', () => {
    assert.deepEqual(
      importsOf('config', { tests: false }).filter(into(['storage', 'engine', 'server', 'alarms'])),
      [],
    );
  });
});
