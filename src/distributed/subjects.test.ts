import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  AGENT_TARGET,
  agentCommand,
  fromKvKey,
  kvKey,
  parseCommandSubject,
  subjects,
  token,
  untoken,
} from './subjects.ts';

test('ids with dots, wildcards, spaces and percent signs become single tokens and come back', () => {
  for (const id of ['stage.x', 'a*b', 'x>y', 'two words', 'tab\there', '100%', 'plain-id_1']) {
    const t = token(id);
    assert.doesNotMatch(t, /[.*>\s]/, id);
    assert.equal(untoken(t), id);
  }
  assert.equal(token('meter'), 'meter');
  assert.throws(() => token(''));
});

test('subjects are kind first and the command subject parses back', () => {
  assert.equal(subjects.readings('lab', 'host1', 'meter', 'power'), 'daq.tlm.lab.host1.meter.power');
  assert.equal(
    subjects.readings('lab', 'host1', 'stage', 'axis1.position'),
    'daq.tlm.lab.host1.stage.axis1%2Eposition',
  );
  assert.equal(subjects.events('lab', 'h', 'i'), 'daq.evt.lab.h.i');
  assert.equal(subjects.heartbeat('h.1'), 'daq.hb.h%2E1');
  const cmd = subjects.command('host.1', 'my stage', 'write');
  assert.deepEqual(parseCommandSubject(cmd), { host: 'host.1', inst: 'my stage', verb: 'write' });
  assert.deepEqual(parseCommandSubject(agentCommand('h', 'time')), {
    host: 'h',
    inst: AGENT_TARGET,
    verb: 'time',
  });
  assert.equal(parseCommandSubject('daq.cmd.h.i'), null);
  assert.equal(parseCommandSubject('daq.evt.h.i.v'), null);
});

test('KV keys stay within the allowed characters and map back', () => {
  for (const id of ['meter', 'stage.x', 'a b', 'x=y', 'μ-meter', '%']) {
    const key = kvKey(id);
    assert.match(key, /^[-_=a-zA-Z0-9]+$/, id);
    assert.equal(fromKvKey(key), id);
  }
});
