import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { ManualClock, systemClock } from '../../core/clock.ts';
import { isBenchtopError } from '../../core/errors.ts';
import { LineSimulatorServer } from '../../sim/line-simulator-server.ts';
import { VirtualLab } from '../../sim/virtual-lab.ts';
import { parseNumber } from './scpi-codec.ts';
import { ScpiDmmSimProtocol } from './scpi-dmm-sim-protocol.ts';
import { Vxi11Link } from './vxi11/vxi11-link.ts';
import { Vxi11 } from './vxi11/vxi11-protocol.ts';
import { Vxi11SimulatorServer } from './vxi11/vxi11-sim-server.ts';

const python = '/usr/bin/python3';
const hasPyvisa = spawnSync(python, ['-c', 'import pyvisa, pyvisa_py'], { stdio: 'ignore' }).status === 0;
const skip = !hasPyvisa && 'PyVISA-py not installed (apt-get install python3-pyvisa-py)';

/**
 * A standard VISA client against our simulators. For VXI-11, PyVISA-py always asks the
 * portmapper on port 111; it reads that from the module constant `rpc.PMAP_PORT` at connect
 * time, so the script points it at the simulator's ephemeral portmapper instead.
 */
const script = `
import json, sys, pyvisa
mode, port = sys.argv[1], int(sys.argv[2])
if mode == 'vxi11':
    from pyvisa_py.protocols import rpc
    rpc.PMAP_PORT = port
    resource = 'TCPIP0::127.0.0.1::inst0::INSTR'
else:
    resource = 'TCPIP0::127.0.0.1::%d::SOCKET' % port
rm = pyvisa.ResourceManager('@py')
inst = rm.open_resource(resource, read_termination='\\n', write_termination='\\n', timeout=3000)
out = {'idn': inst.query('*IDN?'), 'volts': inst.query('MEAS:VOLT:DC?')}
inst.write('VOLT:DC:RANG 5000')
out['error'] = inst.query('SYST:ERR?')
out['empty'] = inst.query('SYST:ERR?')
out['values'] = inst.query_ascii_values('VOLT:DC:RANG 100;RANG?;:SYST:ERR:COUN?', separator=';')
inst.close()
rm.close()
print(json.dumps(out))
`;

/**
 * viClear and viLock through PyVISA-py: a reply left unread is gone after `clear()`; then it
 * takes the lock and waits for a line on stdin, so the test can try the instrument from
 * another link while PyVISA holds it.
 */
const lockScript = `
import json, sys, pyvisa
from pyvisa_py.protocols import rpc
rpc.PMAP_PORT = int(sys.argv[1])
rm = pyvisa.ResourceManager('@py')
inst = rm.open_resource('TCPIP0::127.0.0.1::inst0::INSTR', read_termination='\\n', write_termination='\\n', timeout=3000)
inst.write('*IDN?')
inst.clear()
out = {'after_clear': inst.query('SYST:ERR:COUN?')}
inst.lock_excl()
print('locked', flush=True)
sys.stdin.readline()
inst.unlock()
out['idn'] = inst.query('*IDN?')
inst.close()
rm.close()
print(json.dumps(out), flush=True)
`;

async function runPyvisa(mode: 'socket' | 'vxi11', port: number) {
  const { stdout } = await promisify(execFile)(python, ['-c', script, mode, String(port)], {
    timeout: 30_000,
  });
  return JSON.parse(stdout) as { idn: string; volts: string; error: string; empty: string; values: number[] };
}

function lab() {
  return new VirtualLab({ clock: new ManualClock(), seed: 5, beamWaistMm: 0.5, knifeEdgeMm: 0, warmupS: 0 });
}

function checkSession(out: Awaited<ReturnType<typeof runPyvisa>>) {
  assert.match(out.idn, /^Benchtop,SIM-DMM6500,\w+,[\d.]+$/);
  const volts = parseNumber(out.volts);
  assert.ok(volts !== null && Math.abs(volts - 1.2e-3) < 5e-4, `dark reading ${out.volts}`);
  assert.match(out.error, /^-222,"Data out of range/);
  assert.equal(out.empty, '0,"No error"');
  assert.deepEqual(out.values, [100, 0]);
}

describe('PyVISA-py interoperability', () => {
  it(
    'TCPIP0::127.0.0.1::PORT::SOCKET: *IDN?, MEAS:VOLT:DC?, an error read back with SYST:ERR?',
    {
      skip,
    },
    async () => {
      const server = new LineSimulatorServer('ScpiInstrument', new ScpiDmmSimProtocol(lab()), {
        readTerminator: '\n',
        replyTerminator: '\n',
      });
      const { port } = await server.listen(0, '127.0.0.1');
      try {
        checkSession(await runPyvisa('socket', port));
        assert.deepEqual(server.received.slice(0, 3), ['*IDN?', 'MEAS:VOLT:DC?', 'VOLT:DC:RANG 5000']);
      } finally {
        await server.close();
      }
    },
  );

  it(
    'TCPIP0::127.0.0.1::inst0::INSTR (VXI-11) with the portmapper on an ephemeral port',
    {
      skip,
    },
    async () => {
      const server = new Vxi11SimulatorServer('ScpiInstrument', new ScpiDmmSimProtocol(lab()));
      const { port } = await server.listen(0, '127.0.0.1');
      try {
        checkSession(await runPyvisa('vxi11', port));
        assert.deepEqual(server.received.slice(0, 3), ['*IDN?', 'MEAS:VOLT:DC?', 'VOLT:DC:RANG 5000']);
        assert.equal(server.linkCount, 0, 'PyVISA-py destroyed its link on close');
      } finally {
        await server.close();
      }
    },
  );

  it(
    'VXI-11: inst.clear() is device_clear, inst.lock_excl()/unlock() are device_lock/device_unlock',
    {
      skip,
    },
    async () => {
      const server = new Vxi11SimulatorServer('ScpiInstrument', new ScpiDmmSimProtocol(lab()));
      const { port } = await server.listen(0, '127.0.0.1');
      const other = new Vxi11Link({
        host: '127.0.0.1',
        device: 'inst0',
        portmapperPort: port,
        timeoutMs: 1000,
        clock: systemClock,
        readTermination: '\n',
        writeTermination: '\n',
      });
      const child = spawn(python, ['-c', lockScript, String(port)], { stdio: ['pipe', 'pipe', 'inherit'] });
      const lines = createInterface({ input: child.stdout });
      const nextLine = async () => String((await once(lines, 'line'))[0]);
      try {
        await other.open();
        assert.equal(await nextLine(), 'locked');
        assert.ok(server.calls.includes(Vxi11.DEVICE_CLEAR));
        assert.notEqual(server.lockHolder, null);
        await assert.rejects(
          other.query('*IDN?'),
          (e) => isBenchtopError(e, 'INSTRUMENT_UNAVAILABLE') && e.details.vxi11Error === 11,
        );
        child.stdin.end('go\n');
        const out = JSON.parse(await nextLine()) as { after_clear: string; idn: string };
        assert.equal(out.after_clear, '0', 'the unread *IDN? reply was cleared');
        assert.match(out.idn, /^Benchtop,SIM-DMM6500,/);
        assert.equal(server.lockHolder, null);
        assert.match(
          await other.query('*IDN?'),
          /^Benchtop,SIM-DMM6500,/,
          'unlocked: the other link gets in',
        );
      } finally {
        child.kill();
        await other.close();
        await server.close();
      }
    },
  );
});
