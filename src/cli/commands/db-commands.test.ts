import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { Command } from 'commander';
import {
  createThrowawayDatabase,
  postgresUnavailable,
  type ThrowawayDatabase,
} from '../../storage/postgres/testing/throwaway-postgres.ts';
import { addCommand } from '../command-spec.ts';
import { COMMANDS } from '../main.ts';

/** The `db` command as main.ts declares it, writing to `out`. */
function dbCommand(env: NodeJS.ProcessEnv, out: NodeJS.WritableStream): Command {
  const program = new Command('benchtop').exitOverride();
  addCommand(program, COMMANDS.find((c) => c.name === 'db')!, { env, out, err: process.stderr });
  return program;
}

const skip = await postgresUnavailable();
const dir = mkdtempSync(join(tmpdir(), 'db-cmd-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function capture() {
  let text = '';
  const out = new Writable({
    write(chunk, _enc, done) {
      text += String(chunk);
      done();
    },
  });
  return { out, text: () => text };
}

async function run(args: string[], config: string): Promise<string> {
  const { out, text } = capture();
  await dbCommand({}, out).parseAsync(['db', ...args, '--config', config], { from: 'user' });
  return text();
}

describe('benchtop db migrate|status', () => {
  it('SQLite: status before says version 0 and changes nothing; migrate brings it to the latest (alarms.sqlite migrates itself: no alarm history section)', async () => {
    const config = join(dir, 'sqlite.toml');
    writeFileSync(config, `[storage]\noutput_dir = "${join(dir, 'data')}"\n`);
    assert.match(
      await run(['status'], config),
      /^line store\nbackend: sqlite\nschema version: 0 of 1\npending: 1 migration\(s\); run benchtop db migrate\n$/,
    );
    assert.match(await run(['migrate'], config), /migrated sqlite from version 0 to 1/);
    const status = await run(['status'], config);
    assert.match(
      status,
      /schema version: 1 of 1\n {2}1 {2}\S+ {2}parts, defects, line events, line audit\n$/,
    );
  });

  let db: ThrowawayDatabase | undefined;
  after(async () => db?.drop());
  it(
    'PostgreSQL: the same against a throwaway database, the alarm history schema listed and migrated too',
    { skip },
    async () => {
      db = await createThrowawayDatabase('benchtop_dbcmd_test');
      const config = join(dir, 'pg.toml');
      writeFileSync(
        config,
        `[storage]\noutput_dir = "${join(dir, 'pgdata')}"\n[storage.postgres]\nurl = "${db.url}"\n`,
      );
      const before = await run(['status'], config);
      assert.match(before, /^line store\nbackend: postgres\nschema version: 0 of 1\npending: 1 migration/);
      assert.match(
        before,
        /\nalarm history\nbackend: postgres\nschema version: 0 of 1\npending: 1 migration\(s\); run benchtop db migrate\n$/,
      );
      const migrated = await run(['migrate'], config);
      assert.match(migrated, /migrated postgres from version 0 to 1\n/);
      assert.match(migrated, /migrated alarm history \(postgres\) from version 0 to 1\n/);
      assert.match(await run(['migrate'], config), /migrated postgres from version 1 to 1/);
      const after = await run(['status'], config);
      assert.match(after, /^line store\nbackend: postgres\nschema version: 1 of 1\n {2}1 /);
      assert.match(
        after,
        /\nalarm history\nbackend: postgres\nschema version: 1 of 1\n {2}1 {2}\S+ {2}alarm events\n$/,
      );
    },
  );
});
