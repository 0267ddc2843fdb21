import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ManualClock } from '../../core/clock.ts';
import { VirtualLab } from '../../sim/virtual-lab.ts';
import { modbusPlcKind } from './kind.ts';

const createModbusPlcSimulator = (id: string, config: Record<string, unknown>, lab: VirtualLab) =>
  modbusPlcKind.createSimulator!(id, config, lab) as ModbusSimServer;

import type { ModbusSimServer } from './modbus-sim-server.ts';
import { decodeRegisters, encodeRegisters, type WordOrder } from './register-values.ts';

/**
 * Independent Modbus clients against our simulator: pymodbus (Debian python3-pymodbus, the
 * system python), mbpoll, and libmodbus's own random-test-client built from the examples that
 * libmodbus-dev ships. Each test is skipped, saying what is missing, when its tool is not
 * installed (.ci/run installs them).
 */
const exec = promisify(execFile);
const PYTHON = '/usr/bin/python3';
const EXAMPLES = '/usr/share/doc/libmodbus-dev/examples';

const runs = (cmd: string, args: string[]) => {
  try {
    return spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
  } catch {
    return false;
  }
};

const pymodbusMissing =
  existsSync(PYTHON) && runs(PYTHON, ['-c', 'import pymodbus.client'])
    ? false
    : 'pymodbus not installed (apt-get install python3-pymodbus python3-serial python3-serial-asyncio)';
const mbpollMissing =
  runs('mbpoll', ['-V']) || runs('mbpoll', ['-h']) ? false : 'mbpoll not installed (apt-get install mbpoll)';
const exampleSource = ['random-test-client.c', 'random-test-client.c.gz']
  .map((f) => join(EXAMPLES, f))
  .find((f) => existsSync(f));
const libmodbusMissing =
  exampleSource && runs('gcc', ['--version']) && runs('pkg-config', ['--exists', 'libmodbus'])
    ? false
    : 'libmodbus random-test-client cannot be built (apt-get install libmodbus-dev gcc pkg-config)';

const scratch = mkdtempSync(join(tmpdir(), 'benchtop-modbus-interop-'));
const servers: ModbusSimServer[] = [];
after(async () => {
  for (const s of servers) await s.close();
  rmSync(scratch, { recursive: true, force: true });
});

/** A simulated PLC with a float pair at 100 (3.25) and 102, coils 4–6, nothing at 500. */
async function plc(order: WordOrder) {
  const clock = new ManualClock();
  const lab = new VirtualLab({ clock, seed: 1, beamWaistMm: 0.5, knifeEdgeMm: 0, warmupS: 0 });
  const server = createModbusPlcSimulator(
    'plc',
    {
      host: '127.0.0.1',
      word_order: order,
      points: [
        { name: 'a', table: 'holding', address: 100, type: 'float32' },
        { name: 'b', table: 'holding', address: 102, type: 'float32', writable: true },
        { name: 'c4', table: 'coil', address: 4, type: 'bool', writable: true },
        { name: 'c5', table: 'coil', address: 5, type: 'bool', writable: true },
        { name: 'c6', table: 'coil', address: 6, type: 'bool', writable: true },
      ],
    },
    lab,
  );
  servers.push(server);
  const { port } = await server.listen(0, '127.0.0.1');
  server.bank.setRegisters('holding', 100, encodeRegisters('float32', 3.25, order));
  server.bank.setBit('coil', 6, true);
  const float = (address: number) =>
    decodeRegisters('float32', server.bank.registers('holding', address, 2), order);
  return { server, port, float };
}

const PYMODBUS_SCRIPT = `
import json, sys
from pymodbus.client import ModbusTcpClient
from pymodbus.constants import Endian
from pymodbus.payload import BinaryPayloadBuilder, BinaryPayloadDecoder
port, order = int(sys.argv[1]), sys.argv[2]
words = Endian.Little if order == "low_first" else Endian.Big
c = ModbusTcpClient("127.0.0.1", port=port)
assert c.connect()
r = c.read_holding_registers(100, 2, slave=1)
value = BinaryPayloadDecoder.fromRegisters(r.registers, byteorder=Endian.Big, wordorder=words).decode_32bit_float()
b = BinaryPayloadBuilder(byteorder=Endian.Big, wordorder=words)
b.add_32bit_float(-12.5)
c.write_registers(102, b.to_registers(), slave=1)
c.write_coil(5, True, slave=1)
coils = c.read_coils(4, 3, slave=1).bits[:3]
refused = c.read_holding_registers(500, 2, slave=1)
print(json.dumps({"float": value, "coils": coils, "exception": getattr(refused, "exception_code", None)}))
c.close()
`;

describe('Modbus interop with independent clients', () => {
  for (const order of ['low_first', 'high_first'] as const) {
    it(`pymodbus reads and writes floats and coils (${order})`, { skip: pymodbusMissing }, async () => {
      const { server, port, float } = await plc(order);
      const script = join(scratch, 'client.py');
      writeFileSync(script, PYMODBUS_SCRIPT);
      const { stdout } = await exec(PYTHON, [script, String(port), order], { timeout: 30_000 });
      const result = JSON.parse(stdout.trim().split('\n').at(-1)!);
      assert.equal(result.float, 3.25);
      assert.deepEqual(result.coils, [false, true, true]);
      assert.equal(result.exception, 2, 'an address outside the map is exception 02');
      assert.equal(float(102), -12.5);
      assert.equal(server.bank.bit('coil', 5), true);
    });

    it(`mbpoll reads and writes floats and coils (${order})`, { skip: mbpollMissing }, async () => {
      const { server, port, float } = await plc(order);
      const base = ['-m', 'tcp', '-p', String(port), '-0', '-1', ...(order === 'high_first' ? ['-B'] : [])];
      const read = await exec('mbpoll', [...base, '-t', '4:float', '-r', '100', '127.0.0.1'], {
        timeout: 30_000,
      });
      assert.match(read.stdout, /\[100\]:\s+3\.25\b/);
      await exec('mbpoll', [...base, '-t', '4:float', '-r', '102', '127.0.0.1', '--', '-7.75'], {
        timeout: 30_000,
      });
      assert.equal(float(102), -7.75);
      await exec('mbpoll', [...base, '-t', '0', '-r', '4', '127.0.0.1', '1'], { timeout: 30_000 });
      assert.equal(server.bank.bit('coil', 4), true);
      const coils = await exec('mbpoll', [...base, '-t', '0', '-r', '4', '-c', '3', '127.0.0.1'], {
        timeout: 30_000,
      });
      assert.match(coils.stdout, /\[4\]:\s+1\s+\[5\]:\s+0\s+\[6\]:\s+1/);
      const refused = await exec('mbpoll', [...base, '-t', '4:float', '-r', '500', '127.0.0.1'], {
        timeout: 30_000,
      }).then(
        () => assert.fail('mbpoll should exit 1 on an illegal address'),
        (e: { code: number; stderr: string; stdout: string }) => e,
      );
      assert.equal(refused.code, 1);
      assert.match(refused.stderr + refused.stdout, /Illegal data address/);
    });
  }

  it(
    'libmodbus random-test-client reports SUCCESS against a register bank served by `benchtop sim`',
    { skip: libmodbusMissing },
    async () => {
      const source = join(scratch, 'random-test-client.c');
      writeFileSync(
        source,
        exampleSource!.endsWith('.gz')
          ? (await import('node:zlib')).gunzipSync(readFileSync(exampleSource!))
          : readFileSync(exampleSource!),
      );
      const binary = join(scratch, 'random-test-client');
      const flags = spawnSync('pkg-config', ['--cflags', '--libs', 'libmodbus'], { encoding: 'utf8' })
        .stdout.trim()
        .split(/\s+/);
      await exec('gcc', [source, '-o', binary, ...flags], { timeout: 60_000 });
      // The client's address is compiled in: 127.0.0.1:1502, unit 17.
      const config = join(scratch, 'bank.toml');
      writeFileSync(
        config,
        [
          '[simulation.ports]',
          'bank = 1502',
          '[[instruments]]',
          'id = "bank"',
          'type = "ModbusPlc"',
          '[instruments.config]',
          'host = "127.0.0.1"',
          'unit_id = 17',
          'sim_model = "register_bank"',
          '',
        ].join('\n'),
      );
      const main = fileURLToPath(new URL('../../cli/main.ts', import.meta.url));
      const sim = spawn(process.execPath, [main, 'sim', '--config', config], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      try {
        let output = '';
        await new Promise<void>((resolve, reject) => {
          sim.stdout.on('data', (chunk: Buffer) => {
            output += chunk.toString();
            if (output.includes('running')) resolve();
          });
          sim.stderr.on('data', (chunk: Buffer) => {
            output += chunk.toString();
          });
          sim.once('exit', (code) => reject(new Error(`benchtop sim exited ${code}: ${output}`)));
        });
        assert.match(output, /bank\s+ModbusPlc\s+tcp:\/\/127\.0\.0\.1:1502/);
        const { stdout } = await exec(binary, [], { timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
        assert.match(stdout, /Test: SUCCESS/);
        assert.doesNotMatch(stdout, /FAILS/);
      } finally {
        sim.kill('SIGINT');
        await new Promise((resolve) => (sim.exitCode !== null ? resolve(null) : sim.once('exit', resolve)));
      }
    },
  );
});
