import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import { ManualClock, systemClock } from '../../core/clock.ts';
import type { LineSession } from '../../sim/line-simulator-server.ts';
import { type LinePart, LineStates, ProductionLine } from '../../sim/production-line.ts';
import { eventually } from '../testing/sim-rig.ts';
import { DefectClasses, DefectModel, type InspectedPart } from './cvx-defect-model.ts';
import { linePartSource } from './cvx-line-parts.ts';
import { CvxSimProtocol, defaultProgramTable, programFromOutputs } from './cvx-sim-protocol.ts';
import { cvxSimulatorServer } from './cvx-sim-server.ts';

/** A client connection that records what the simulator sends later on its own. */
function recordingSession(): LineSession & { sent: string[] } {
  const sent: string[] = [];
  return {
    sent,
    open: true,
    send: (lines) => {
      sent.push(...(Array.isArray(lines) ? lines : [lines]));
    },
  };
}

function sim(options: Partial<ConstructorParameters<typeof CvxSimProtocol>[0]> = {}) {
  const clock = new ManualClock();
  const protocol = new CvxSimProtocol({ clock, ...options });
  const session = recordingSession();
  const send = (line: string) => protocol.handle(line, session);
  return { clock, protocol, session, send };
}

describe('CV-X simulator: modes and refusals', () => {
  it('starts in run mode; setup mode refuses triggers, program changes and reset with 03', () => {
    const { send } = sim();
    assert.equal(send('RM'), 'RM,1');
    assert.equal(send('S0'), 'S0');
    assert.equal(send('RM'), 'RM,0');
    for (const command of ['TA', 'T1', 'PW,1,001', 'RS']) {
      const header = command.split(',')[0];
      assert.equal(send(command), `ER,${header},03`, command);
    }
    assert.equal(send('PR'), 'PR,1,000', 'PR works in setup mode');
    assert.equal(send('CE'), 'CE', 'CE works in setup mode');
    assert.equal(send('R0'), 'R0');
    assert.equal(send('RM'), 'RM,1');
    assert.equal(send('TA'), 'TA');
  });

  it('unknown commands get 02; bad, missing or extra parameters and absent programs get 22', () => {
    const { send } = sim({ cameras: 2 });
    assert.equal(send('XX'), 'ER,XX,02');
    assert.equal(send('EXW'), 'ER,EXW,02');
    for (const [command, header] of [
      ['PW,3,000', 'PW'],
      ['PW,1,1000', 'PW'],
      ['PW,1', 'PW'],
      ['PW,1,abc', 'PW'],
      ['PW,1,555', 'PW'],
      ['RM,1', 'RM'],
      ['TA,1', 'TA'],
      ['T3', 'T3'],
    ] as const)
      assert.equal(send(command), `ER,${header},22`, command);
    assert.equal(send('T2'), 'T2', 'camera 2 of 2 exists');
    assert.equal(send(''), undefined, 'an empty line (a stray LF) is ignored');
  });
});

describe('CV-X simulator: triggers and results', () => {
  it('echoes a trigger at once and sends the result line after the processing time', async () => {
    const { send, session, clock, protocol } = sim();
    assert.equal(send('TA'), 'TA');
    assert.equal(session.sent.length, 0);
    assert.equal(send('T1'), 'ER,T1,03', 'busy: the inspection is still running');
    await clock.advance(protocol.currentProgram.processingMs);
    assert.equal(session.sent.length, 1);
    assert.equal(session.sent[0]!.split(',').length, 9);
    assert.equal(send('T1'), 'T1', 'free again once the result is out');
  });

  it('RS abandons a running inspection (no result line); result output off sends none either', async () => {
    const { send, session, clock, protocol } = sim();
    send('TA');
    assert.equal(send('RS'), 'RS');
    await clock.advance(1000);
    assert.deepEqual(session.sent, []);
    protocol.resultOutput = false;
    assert.equal(send('TA'), 'TA');
    await clock.advance(1000);
    assert.deepEqual(session.sent, []);
    assert.equal(protocol.inspections.length, 1, 'the inspection ran, only its output was off');
  });

  it('a latched error refuses triggers with 03 until CE', () => {
    const { send, protocol } = sim();
    protocol.injectError();
    assert.equal(send('TA'), 'ER,TA,03');
    assert.equal(send('CE'), 'CE');
    assert.equal(send('TA'), 'TA');
  });

  it('switching programs changes the result line', async () => {
    const { send, session, clock } = sim();
    const fieldsAfter = async (sd: number, program: string) => {
      assert.equal(send(`PW,${sd},${program}`), 'PW');
      assert.equal(send('PR'), `PR,${sd},${program}`);
      send('TA');
      await clock.advance(1000);
      return session.sent.at(-1)!.split(',').length;
    };
    assert.equal(await fieldsAfter(1, '001'), 6);
    assert.equal(await fieldsAfter(2, '000'), 4);
    assert.equal(await fieldsAfter(1, '000'), 9);
  });

  it('inspects the part the injected source says is at its station, the same part the same way', async () => {
    const parts: (InspectedPart | undefined)[] = [{ id: 4711, sku: 'A' }, { id: 4711, sku: 'A' }, undefined];
    const asked: number[] = [];
    const { send, session, clock, protocol } = sim({
      station: 3,
      parts: {
        partAt: (station) => {
          asked.push(station);
          return parts.shift();
        },
      },
    });
    for (let i = 0; i < 3; i++) {
      send('TA');
      await clock.advance(1000);
    }
    assert.deepEqual(asked, [3, 3, 3]);
    assert.deepEqual(
      protocol.inspections.map((i) => i.part?.id),
      [4711, 4711, undefined],
    );
    assert.equal(session.sent[0], session.sent[1], 'a part re-inspected gets the same verdict');
    assert.equal(session.sent[2], '1,0.0,0.0,0.0,0.0,0.0,0.0,0.0,0.0', 'no part: NG, every tool at 0');
  });

  it('a program built from the configured outputs emits the fields where the map expects them', async () => {
    const program = programFromOutputs([
      { index: 0, name: 'total', kind: 'judgement' },
      { index: 1, name: 'scratch_score', kind: 'score', tool: 'scratch' },
      { index: 3, name: 'x', kind: 'x', tool: 'scratch' },
    ]);
    assert.deepEqual(program.fields, [
      { source: 'total' },
      { source: 'score', tool: 'scratch' },
      { source: 'width' },
      { source: 'x', tool: 'scratch' },
    ]);
  });
});

describe('CV-X defect model', () => {
  it('fails a known fraction of parts per class, per station (seeded, within 4 sigma)', () => {
    const model = new DefectModel({
      seed: 42,
      rates: { scratch: 0.05, dent: 0.02, contamination: 0 },
      ratesByStation: { 2: { scratch: 0.2, dent: 0.01 } },
    });
    const n = 20_000;
    for (const [station, expected] of [
      [1, { scratch: 0.05, dent: 0.02, contamination: 0 }],
      [2, { scratch: 0.2, dent: 0.01, contamination: 0 }],
    ] as const) {
      for (const [defectClass, rate] of Object.entries(expected)) {
        let failed = 0;
        for (let id = 1; id <= n; id++) {
          const finding = model.inspect({ id, sku: 'A' }, station, defectClass as 'scratch');
          assert.equal(
            finding.defective,
            finding.score >= model.threshold,
            'the score says what the tool saw',
          );
          if (finding.defective) {
            failed++;
            assert.ok(finding.box.width >= 10 && finding.box.x >= finding.box.width / 2 - 0.1);
            assert.ok(finding.box.x <= 1600 && finding.box.y <= 1200);
          }
        }
        const sigma = Math.sqrt((rate * (1 - rate)) / n);
        assert.ok(
          Math.abs(failed / n - rate) <= 4 * sigma + 1e-12,
          `station ${station} ${defectClass}: ${failed / n} vs ${rate}`,
        );
      }
    }
  });

  it('classes are drawn independently and the seed changes the sample', () => {
    const a = new DefectModel({ seed: 1, rates: { scratch: 0.5, dent: 0.5 } });
    const b = new DefectModel({ seed: 2, rates: { scratch: 0.5, dent: 0.5 } });
    let both = 0;
    let differ = 0;
    const n = 4000;
    for (let id = 0; id < n; id++) {
      const part = { id, sku: 'A' };
      if (a.inspect(part, 1, 'scratch').defective && a.inspect(part, 1, 'dent').defective) both++;
      if (a.inspect(part, 1, 'scratch').defective !== b.inspect(part, 1, 'scratch').defective) differ++;
    }
    const sigma = Math.sqrt((0.25 * 0.75) / n);
    assert.ok(Math.abs(both / n - 0.25) < 4 * sigma, `P(scratch and dent) = ${both / n}`);
    assert.ok(differ > n / 4, 'another seed draws other parts');
    assert.equal(DefectClasses.length, 8);
  });
});

describe('CV-X simulator on the production line', () => {
  it('inspects the parts the line makes, by their ids, failing a known fraction per class (within 4 sigma)', async () => {
    const clock = new ManualClock();
    const line = new ProductionLine({ clock, seed: 7, idealCycleMs: 1000, completedPulseMs: 100 });
    const rates = { scratch: 0.1, dent: 0.04, contamination: 0 };
    const protocol = new CvxSimProtocol({
      clock,
      parts: linePartSource(line),
      defects: { seed: 3, rates },
      programs: {
        '1:000': programFromOutputs([
          { index: 0, name: 'total', kind: 'judgement' },
          { index: 1, name: 'scratch_score', kind: 'score', tool: 'scratch' },
          { index: 2, name: 'dent_score', kind: 'score', tool: 'dent' },
          { index: 3, name: 'contamination_score', kind: 'score', tool: 'contamination' },
        ]),
      },
    });
    const session = recordingSession();
    assert.equal(protocol.handle('TA', session), 'TA');
    await clock.advance(100);
    assert.equal(protocol.inspections[0]!.part, undefined, 'nothing at the station before the first part');
    assert.equal(session.sent[0], '1,0.0,0.0,0.0', 'no part: NG, every tool at 0');

    // The tracking loop: every part that leaves the producing station is inspected at once.
    const completed: LinePart[] = [];
    line.onPartCompleted((part) => {
      completed.push(part);
      assert.equal(protocol.handle('TA', session), 'TA');
    });
    line.setRunCommand(true);
    assert.equal(line.state, LineStates.running);
    const n = 1500;
    while (completed.length < n) await clock.advance(1000);
    await clock.advance(100);
    line.dispose();

    const inspected = protocol.inspections.slice(1);
    assert.equal(inspected.length, completed.length);
    assert.deepEqual(
      inspected.map((i) => i.part),
      completed.map((p) => ({ id: p.id, sku: p.sku })),
      'each result is the part the line just completed',
    );
    assert.deepEqual(
      completed.slice(0, 3).map((p) => p.id),
      [1, 2, 3],
    );
    for (const [defectClass, rate] of Object.entries(rates)) {
      const failed = inspected.filter((i) => i.found.includes(defectClass as 'scratch')).length;
      const sigma = Math.sqrt((rate * (1 - rate)) / inspected.length);
      assert.ok(
        Math.abs(failed / inspected.length - rate) <= 4 * sigma + 1e-12,
        `${defectClass}: ${failed}/${inspected.length} vs ${rate}`,
      );
    }
    // The same part judged the way the model judges it: the verdict belongs to the part.
    for (const i of inspected.slice(0, 200)) {
      const scratch = protocol.model.inspect(i.part!, 1, 'scratch').defective;
      assert.equal(i.found.includes('scratch'), scratch);
      assert.equal(i.line.split(',')[0], i.found.length > 0 ? '1' : '0');
    }
  });
});

describe('CV-X simulator on TCP', () => {
  it('sends the echo and, after it, the result line on the same connection, each ending in CR', async () => {
    const protocol = new CvxSimProtocol({ clock: systemClock, programs: defaultProgramTable(5) });
    const server = cvxSimulatorServer(protocol);
    const { port } = await server.listen(0, '127.0.0.1');
    const socket = connect(port, '127.0.0.1');
    try {
      await once(socket, 'connect');
      let received = '';
      socket.on('data', (chunk: Buffer) => {
        received += chunk.toString('latin1');
      });
      socket.write('RM\r\nTA\r');
      await eventually(() => received.split('\r').length > 3, 'echoes and result');
      assert.equal(received, `RM,1\rTA\r${protocol.inspections[0]!.line}\r`);
    } finally {
      socket.destroy();
      await server.close();
    }
  });
});
