import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadBenchtopConfig } from '../app/load-benchtop-config.ts';
import { instrumentConfigSchemas } from '../instruments/catalog.ts';
import { ConfigError, formatIssue } from './issues.ts';
import { describeSources, parseAssignment } from './load.ts';
import { redactConfig } from './redact.ts';

const fixtures = join(import.meta.dirname, '../../test/fixtures/config');

function issuesOf(text: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    loadBenchtopConfig({ text, file: 'test.toml', env });
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${error}`);
    return error.issues.map(formatIssue);
  }
  assert.fail('configuration was accepted');
}

describe('lab guide configurations load unchanged', () => {
  it('Scenario 1: single machine, all five instruments', () => {
    const { config } = loadBenchtopConfig({ file: join(fixtures, 'scenario1.toml') });
    assert.equal(config.application.name, 'rust-daq-lab');
    assert.equal(config.actors.default_mailbox_capacity, 200);
    assert.deepEqual(
      config.instruments.map((i) => [i.id, i.type]),
      [
        ['scpi_1', 'ScpiInstrument'],
        ['esp300', 'ESP300'],
        ['pvcam', 'PVCAMInstrument'],
        ['newport', 'Newport1830C'],
        ['maitai', 'MaiTai'],
      ],
    );
    assert.equal(config.storage.default_backend, 'hdf5');
    assert.equal(config.storage.compression_level, 6);
    // driver defaults are filled in
    const esp = config.instruments[1]!.config;
    assert.equal(esp.baud, 19200);
    assert.equal(esp.axes, 3);
    assert.equal(config.instruments[4]!.config.baud, 115200);
    assert.equal(config.instruments[4]!.config.flow_control, 'xonxoff');
  });

  it('Scenario 2: both machines of the distributed deployment', () => {
    const m1 = loadBenchtopConfig({ file: join(fixtures, 'scenario2-machine1.toml') }).config;
    const m2 = loadBenchtopConfig({ file: join(fixtures, 'scenario2-machine2.toml') }).config;
    assert.deepEqual(
      m1.instruments.map((i) => i.id),
      ['scpi', 'esp300', 'pvcam'],
    );
    assert.deepEqual(
      m2.instruments.map((i) => i.id),
      ['newport', 'maitai'],
    );
    assert.ok(m1.instruments.every((i) => i.enabled));
  });

  it('the [instruments.config] sub-table form', () => {
    const { config } = loadBenchtopConfig({ file: join(fixtures, 'subtable-form.toml') });
    assert.equal(config.instruments[0]!.config.axes, 2);
    assert.equal(config.instruments[1]!.config.serial_port, 'tcp://127.0.0.1:4001');
  });

  it('an empty file is valid and gives the defaults', () => {
    const { config } = loadBenchtopConfig({ text: '' });
    assert.equal(config.server.port, 8080);
    assert.equal(config.server.bind_address, '127.0.0.1');
    assert.equal(config.application.log_level, 'info');
    assert.deepEqual(config.instruments, []);
  });

  it('the shipped default and example configurations are valid', () => {
    for (const name of ['default.toml', 'benchtop.example.toml']) {
      const { config } = loadBenchtopConfig({ file: join(import.meta.dirname, '../../config', name) });
      assert.ok(config.instruments.length >= 5, name);
    }
  });
});

describe('configuration errors are precise', () => {
  const cases: { name: string; toml: string; expected: string[] }[] = [
    {
      name: 'wrong type with its line',
      toml: '[application]\nname = "x"\n\n[actors]\nspawn_timeout_ms = 10\n\ndefault_mailbox_capacity = "abc"\n',
      expected: ['actors.default_mailbox_capacity: expected integer > 0, got "abc" (line 7, column 1)'],
    },
    {
      name: 'missing required instrument key, pointing at its config',
      toml: [
        '[[instruments]]',
        'id = "a"',
        'type = "PVCAMInstrument"',
        'config = { camera_name = "x" }',
        '',
        '[[instruments]]',
        'id = "b"',
        'type = "PVCAMInstrument"',
        'config = { camera_name = "y" }',
        '',
        '[[instruments]]',
        'id = "c"',
        'type = "ESP300"',
        'config = { axes = 3 }',
      ].join('\n'),
      expected: ['instruments[2].config.serial_port: required (or resource) (line 14, column 1)'],
    },
    {
      name: 'unknown key with a suggestion',
      toml: '[storage]\noutput_dri = "/tmp"\n',
      expected: ['storage.output_dri: unknown key (did you mean "output_dir"?) (line 2, column 1)'],
    },
    {
      name: 'unknown section',
      toml: '[sever]\nport = 1\n',
      expected: ['sever: unknown key (did you mean "server"?) (line 1, column 1)'],
    },
    {
      name: 'unknown instrument type lists the known ones',
      toml: '[[instruments]]\nid = "x"\ntype = "ESP301"\n',
      expected: [
        // Every type in the catalog, in its order: a new kind needs no edit here.
        `instruments[0].type: unknown instrument type "ESP301" (did you mean "ESP300"?); known types: ${Object.keys(instrumentConfigSchemas).join(', ')} (line 3, column 1)`,
      ],
    },
    {
      name: 'enum value',
      toml: '[storage]\ndefault_backend = "zarr"\n',
      expected: ['storage.default_backend: expected one of "hdf5", "arrow", got "zarr" (line 2, column 1)'],
    },
    {
      name: 'out of range inside an inline table',
      toml: '[[instruments]]\nid = "s"\ntype = "ESP300"\nconfig = { serial_port = "/dev/ttyUSB0", axes = 4 }\n',
      expected: ['instruments[0].config.axes: expected integer >= 1 and <= 3, got 4 (line 4, column 42)'],
    },
    {
      name: 'unknown key inside an instrument config',
      toml: '[[instruments]]\nid = "s"\ntype = "MaiTai"\n[instruments.config]\nserial_port = "/dev/x"\nbaudrate = 9600\n',
      expected: ['instruments[0].config.baudrate: unknown key (did you mean "baud"?) (line 6, column 1)'],
    },
    {
      name: 'duplicate ids',
      toml: '[[instruments]]\nid = "m"\ntype = "PVCAMInstrument"\nconfig = { camera_name = "a" }\n[[instruments]]\nid = "m"\ntype = "PVCAMInstrument"\nconfig = { camera_name = "b" }\n',
      expected: ['instruments[1].id: duplicate id "m" (also instruments[0]) (line 6, column 1)'],
    },
    {
      name: 'TOML syntax error',
      toml: '[server]\nport = = 3\n',
      expected: ['(root): TOML syntax error: Invalid TOML document: invalid value (line 2, column 8)'],
    },
  ];
  for (const c of cases) {
    it(c.name, () => assert.deepEqual(issuesOf(c.toml), c.expected));
  }

  it('refuses more instruments than actors.max_instruments, saying why and how to raise it', () => {
    const many = (n: number, head = '') =>
      head +
      Array.from(
        { length: n },
        (_, i) =>
          `[[instruments]]\nid = "m${i}"\ntype = "Newport1830C"\nconfig = { serial_port = "/dev/ttyUSB${i}" }\n`,
      ).join('');
    const [issue, ...rest] = issuesOf(many(10_000));
    assert.equal(rest.length, 0);
    assert.match(
      issue!,
      /^instruments: 10000 instruments configured; at most 2000 \(actors\.max_instruments\)\. .*raise actors\.max_instruments/,
    );
    assert.equal(
      loadBenchtopConfig({ text: many(3, '[actors]\nmax_instruments = 3\n') }).config.instruments.length,
      3,
    );
    assert.match(
      issuesOf(many(3, '[actors]\nmax_instruments = 2\n'))[0]!,
      /3 instruments configured; at most 2/,
    );
  });

  it('reports every problem in one pass', () => {
    const issues = issuesOf(
      '[actors]\ndefault_mailbox_capacity = 0\nspawn_timeout_ms = "soon"\n[server]\nport = 70000\nbind = "x"\n',
    );
    assert.equal(issues.length, 4, issues.join('\n'));
    assert.ok(issues.some((i) => i.startsWith('server.bind: unknown key')));
  });

  it('names the environment variable that set a bad value', () => {
    const issues = issuesOf('', { BENCHTOP_SERVER__PORT: 'eighty' });
    assert.deepEqual(issues, [
      'server.port: expected integer >= 0 and <= 65535, got "eighty" (from env:BENCHTOP_SERVER__PORT)',
    ]);
  });

  it('an environment variable that names no setting is reported', () => {
    const issues = issuesOf('', { BENCHTOP_SERVER__PROT: '1' });
    assert.match(issues[0]!, /^server\.prot: environment variable BENCHTOP_SERVER__PROT names no setting/);
  });

  it('a missing file says so', () => {
    assert.throws(() => loadBenchtopConfig({ file: '/nonexistent/benchtop.toml' }), /file not found/);
  });
});

describe('layering: defaults < file < environment < flags', () => {
  const file = '[server]\nport = 9000\nbind_address = "127.0.0.1"\n[application]\nlog_level = "warn"\n';

  it('file beats defaults', () => {
    const { config } = loadBenchtopConfig({ text: file });
    assert.equal(config.server.port, 9000);
  });

  it('environment beats file, flags beat environment', () => {
    const env = { BENCHTOP_SERVER__PORT: '9090' };
    assert.equal(loadBenchtopConfig({ text: file, env }).config.server.port, 9090);
    const flags = [parseAssignment('server.port=9191', '--set')];
    const loaded = loadBenchtopConfig({ text: file, env, flags });
    assert.equal(loaded.config.server.port, 9191);
    const rows = describeSources(loaded);
    assert.deepEqual(
      rows.find((r) => r.path === 'server.port'),
      { path: 'server.port', value: 9191, source: 'flag:--set' },
    );
    assert.equal(rows.find((r) => r.path === 'server.bind_address')?.source, 'file');
    assert.equal(rows.find((r) => r.path === 'metrics.path')?.source, 'default');
  });

  it('BENCHTOP_LOG_LEVEL beats LOG_LEVEL, and both beat the file', () => {
    assert.equal(
      loadBenchtopConfig({ text: file, env: { LOG_LEVEL: 'debug' } }).config.application.log_level,
      'debug',
    );
    assert.equal(
      loadBenchtopConfig({ text: file, env: { LOG_LEVEL: 'debug', BENCHTOP_LOG_LEVEL: 'ERROR' } }).config
        .application.log_level,
      'error',
    );
  });

  it('typed values from environment text: booleans, lists', () => {
    const { config } = loadBenchtopConfig({
      env: {
        BENCHTOP_SIMULATION__ENABLED: 'true',
        BENCHTOP_SERVER__CORS_ORIGINS: 'https://a.example,https://b.example',
      },
    });
    assert.equal(config.simulation.enabled, true);
    assert.deepEqual(config.server.cors_origins, ['https://a.example', 'https://b.example']);
  });
});

describe('redaction', () => {
  it('replaces secrets', () => {
    const { config } = loadBenchtopConfig({
      text: '[security]\nauth = "required"\njwt_secret = "0123456789abcdef0123456789abcdef"\n[storage.postgres]\nurl = "postgres://u:p@h/db"\n',
    });
    const shown = redactConfig(config);
    assert.equal(shown.security.jwt_secret, '***');
    assert.equal(shown.storage.postgres?.url, '***');
    assert.equal(config.security.jwt_secret, '0123456789abcdef0123456789abcdef');
  });
});
