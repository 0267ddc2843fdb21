import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Benchtop } from '../../app/benchtop.ts';
import { loadBenchtopConfig } from '../../app/load-benchtop-config.ts';
import { silentLogger } from '../../core/logger.ts';
import { tagTable } from './plc-tags-command.ts';

const main = join(import.meta.dirname, '..', 'main.ts');

function cli(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [main, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('tagTable', () => {
  it('lines up name, type and dimensions (blank for a scalar)', () => {
    assert.equal(
      tagTable([
        { name: 'Line.State', type: 'DINT', dimensions: 0 },
        { name: 'Temps', type: 'REAL', dimensions: 1 },
      ]),
      'NAME        TYPE  DIMS\nLine.State  DINT\nTemps       REAL  1\n',
    );
    assert.equal(tagTable([]), 'no tags\n');
  });
});

describe('benchtop plc tags INSTRUMENT', () => {
  let bt: Benchtop;
  let url: string;
  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'benchtop-plc-tags-'));
    const toml = `
[server]
port = 0
[simulation]
enabled = true
[storage]
output_dir = "${dir}"
[[instruments]]
id = "line_plc"
type = "LogixPlc"
[instruments.config]
host = "192.168.1.20"
timeout_ms = 1000
[[instruments.config.tags]]
name = "Line.State"
type = "DINT"
[[instruments]]
id = "vision"
type = "KeyenceCvx"
[instruments.config]
host = "192.168.1.30"
`;
    bt = new Benchtop(loadBenchtopConfig({ text: toml }), silentLogger());
    ({ url } = await bt.start());
  });
  after(async () => bt.stop());

  it("prints the controller's tags, configured or not, as a table", async () => {
    const res = await cli(['plc', 'tags', 'line_plc', '--url', url]);
    assert.equal(res.status, 0, res.stderr);
    const lines = res.stdout.trim().split('\n');
    assert.match(lines[0]!, /^NAME\s+TYPE\s+DIMS$/);
    assert.ok(
      lines.some((l) => /^Line\.State\s+DINT$/.test(l)),
      res.stdout,
    );
    assert.ok(
      lines.some((l) => /^Temps\s+REAL\s+1$/.test(l)),
      'a tag the config does not name',
    );
    assert.ok(lines.some((l) => /^Quality\.Result\s+DINT$/.test(l)));
  });

  it('--json prints the list as the action returns it', async () => {
    const res = await cli(['plc', 'tags', 'line_plc', '--url', url, '--json']);
    assert.equal(res.status, 0, res.stderr);
    const tags = JSON.parse(res.stdout) as { name: string; type: string; dimensions: number }[];
    assert.deepEqual(
      tags.find((t) => t.name === 'Recipe.Setpoints'),
      { name: 'Recipe.Setpoints', type: 'REAL', dimensions: 1 },
    );
  });

  it('an instrument without a tag list is an error naming its type, exit status 1', async () => {
    const res = await cli(['plc', 'tags', 'vision', '--url', url]);
    assert.equal(res.status, 1);
    assert.match(res.stderr, /vision is a KeyenceCvx: it has no controller tag list/);
    const unknown = await cli(['plc', 'tags', 'nope', '--url', url]);
    assert.equal(unknown.status, 1);
    assert.match(unknown.stderr, /nope/);
  });
});
