import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';

const root = join(import.meta.dirname, '../..');
const main = join(root, 'src/cli/main.ts');
const fixtures = join(root, 'test/fixtures/config');

function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [main, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function tempToml(text: string): string {
  const file = join(tmpdir(), `benchtop-cli-${process.pid}-${Math.random().toString(36).slice(2)}.toml`);
  writeFileSync(file, text);
  return file;
}

/** Starts `benchtop start` and resolves with the URL it logs once ready. */
function startServer(args: string[]): Promise<{ child: ChildProcess; url: string; lines: string[] }> {
  const child = spawn(process.execPath, [main, 'start', '--port', '0', ...args], {
    env: { ...process.env, BENCHTOP_LOGGING__FORMAT: 'json' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`exited early with ${code}:\n${lines.join('\n')}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      lines.push(line);
      const record = JSON.parse(line) as { msg: string; url?: string };
      if (record.msg.startsWith('Benchtop ready at')) resolve({ child, url: record.url!, lines });
    });
  });
}

describe('benchtop CLI', () => {
  it('--version prints the package version', () => {
    const r = run(['--version']);
    assert.equal(r.status, 0);
    assert.match(r.stdout.trim(), /^\d+\.\d+\.\d+$/);
  });

  it('--validate-config exits 0 for the lab guide scenario', () => {
    const r = run(['--validate-config', join(fixtures, 'scenario1.toml')]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /configuration is valid \(5 instruments, 5 enabled\)/);
  });

  it('validate-config exits 2 and prints every problem with its line', () => {
    const file = tempToml('[actors]\ndefault_mailbox_capacity = "abc"\n\n[storage]\noutput_dri = "x"\n');
    for (const args of [
      ['validate-config', file],
      ['--validate-config', file],
    ]) {
      const r = run(args);
      assert.equal(r.status, 2);
      assert.match(r.stderr, /2 configuration problems/);
      assert.match(
        r.stderr,
        /actors\.default_mailbox_capacity: expected integer > 0, got "abc" \(line 2, column 1\)/,
      );
      assert.match(
        r.stderr,
        /storage\.output_dri: unknown key \(did you mean "output_dir"\?\) \(line 5, column 1\)/,
      );
    }
  });

  it('start with a broken configuration exits 2 without starting', () => {
    const r = run(['start', '--config', tempToml('[server]\nport = "x"\n')]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /server\.port/);
  });

  it('refuses a non-loopback bind without authentication', () => {
    const r = run(['start', '--config', tempToml(''), '--bind', '0.0.0.0', '--port', '0']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /refusing to listen on 0\.0\.0\.0 without authentication/);
  });

  it('config print shows each setting with its source', () => {
    const file = tempToml('[server]\nport = 9000\n');
    const r = run(['config', 'print', '--config', file, '--set', 'storage.compression_level=3'], {
      BENCHTOP_APPLICATION__NAME: 'from-env',
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /server\.port\s+9000\s+# file/);
    assert.match(r.stdout, /application\.name\s+"from-env"\s+# env:BENCHTOP_APPLICATION__NAME/);
    assert.match(r.stdout, /storage\.compression_level\s+3\s+# flag:--set/);
    assert.match(r.stdout, /metrics\.enabled\s+true\s+# default/);
  });

  it('every command has --help', () => {
    for (const args of [
      ['--help'],
      ['start', '--help'],
      ['validate-config', '--help'],
      ['config', 'print', '--help'],
    ]) {
      const r = run(args);
      assert.equal(r.status, 0, args.join(' '));
      assert.match(r.stdout, /Usage: benchtop/);
    }
  });

  it('benchtop help [command] works although benchtop alone starts the server', () => {
    const r = run(['help']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /Usage: benchtop \[options\] \[command\]/);
    const plans = run(['help', 'run']);
    assert.equal(plans.status, 0, plans.stderr);
    assert.match(plans.stdout, /Usage: benchtop run[\s\S]*Plans:\n {2}count/);
    assert.match(run(['run', '--help']).stdout, /Plans:\n {2}count/);
  });

  it('start serves /health/basic and stops gracefully on SIGTERM', async () => {
    const { child, url, lines } = await startServer(['--config', tempToml('')]);
    try {
      const res = await fetch(`${url}/health/basic`);
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { status: 'ok' });
    } finally {
      child.removeAllListeners('exit');
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
    }
    assert.ok(lines.some((l) => l.includes('"Benchtop stopped"')));
  });
});

describe('benchtop keys and users', () => {
  it('creates a key that the security store accepts, lists it without its secret, revokes it', async () => {
    const { mkdtempSync } = await import('node:fs');
    const { SecurityStore } = await import('../server/auth/security-store.ts');
    const dir = mkdtempSync(join(tmpdir(), 'benchtop-keys-'));
    const file = tempToml(`[storage]\noutput_dir = "${dir}"\n`);
    const created = run(['keys', 'create', '--role', 'operator', '--name', 'script', '--config', file]);
    assert.equal(created.status, 0, created.stderr);
    const key = created.stdout.trim();
    assert.match(key, /^btk_/);
    const store = SecurityStore.inOutputDir(dir);
    try {
      assert.deepEqual(store.checkKey(key), { name: 'script', role: 'operator' });
      const listed = run(['keys', 'list', '--config', file]);
      assert.match(listed.stdout, /operator\s+script/);
      assert.ok(!listed.stdout.includes(key));
      const id = store.listKeys()[0]!.id;
      assert.equal(run(['keys', 'revoke', id, '--config', file]).status, 0);
      assert.equal(store.checkKey(key), null);
      assert.equal(run(['keys', 'create', '--role', 'wizard', '--config', file]).status, 1);
    } finally {
      store.close();
    }
  });

  it('adds a user whose password is read from standard input', async () => {
    const { mkdtempSync } = await import('node:fs');
    const { SecurityStore } = await import('../server/auth/security-store.ts');
    const dir = mkdtempSync(join(tmpdir(), 'benchtop-users-'));
    const file = tempToml(`[storage]\noutput_dir = "${dir}"\n`);
    const r = spawnSync(
      process.execPath,
      [main, 'users', 'add', 'ada', '--role', 'viewer', '--config', file],
      {
        input: 'analytical-engine\n',
        encoding: 'utf8',
      },
    );
    assert.equal(r.status, 0, r.stderr);
    const store = SecurityStore.inOutputDir(dir);
    try {
      assert.deepEqual(await store.checkPassword('ada', 'analytical-engine'), {
        name: 'ada',
        role: 'viewer',
      });
    } finally {
      store.close();
    }
  });
});

describe('benchtop config backup / restore', () => {
  it('keeps labelled copies and restores only a valid one, keeping the current file', async () => {
    const { mkdtempSync, readFileSync, writeFileSync: write, readdirSync } = await import('node:fs');
    const dir = mkdtempSync(join(tmpdir(), 'benchtop-cfg-'));
    const file = join(dir, 'benchtop.toml');
    write(file, '[server]\nport = 9000\n');
    const copy = run(['config', 'backup', '--label', 'good', '--config', file]);
    assert.equal(copy.status, 0, copy.stderr);
    assert.match(copy.stdout.trim(), /config-backups\/benchtop\..*\.good\.toml$/);
    write(file, '[server]\nport = 9100\n');
    write(join(dir, 'config-backups', 'benchtop.broken.toml'), '[server]\nport = "x"\n');
    const refused = run(['config', 'restore', 'broken', '--config', file]);
    assert.notEqual(refused.status, 0);
    assert.match(refused.stderr, /refusing to restore an invalid configuration/);
    assert.equal(readFileSync(file, 'utf8'), '[server]\nport = 9100\n');
    const restored = run(['config', 'restore', 'good', '--config', file]);
    assert.equal(restored.status, 0, restored.stderr);
    assert.equal(readFileSync(file, 'utf8'), '[server]\nport = 9000\n');
    assert.ok(readdirSync(join(dir, 'config-backups')).some((f) => f.includes('before-restore')));
    assert.equal(run(['config', 'validate', file]).status, 0);
  });

  it('backup create and list from the command line', async () => {
    const { mkdtempSync } = await import('node:fs');
    const dir = mkdtempSync(join(tmpdir(), 'benchtop-bk-'));
    const file = tempToml(`[storage]\noutput_dir = "${dir}/data"\n[backup]\ndir = "${dir}/backups"\n`);
    const created = run(['backup', 'create', '--config', file, '--no-data']);
    assert.equal(created.status, 0, created.stderr);
    assert.match(created.stdout, /benchtop-backup-.*\.tar\.gz/);
    assert.match(run(['backup', 'list', '--config', file]).stdout, /benchtop-backup-/);
  });
});
