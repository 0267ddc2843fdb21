import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Command } from 'commander';
import { addCommand, type Invocation, lazy, loadHelpTexts } from './command-spec.ts';

function capture() {
  const text: string[] = [];
  return { text, stream: { write: (c: string) => text.push(c) > 0 } as unknown as NodeJS.WritableStream };
}

describe('commands declared as data, their modules loaded when they run', () => {
  it('imports the module only when its command runs, and passes arguments by name and options', async () => {
    const imported: string[] = [];
    const module = {
      restartAction(inv: Invocation<{ url?: string; force?: boolean }, { instrument: string }>) {
        inv.out.write(`restart ${inv.args.instrument} at ${inv.options.url} force=${inv.options.force}\n`);
        return 3;
      },
    };
    const out = capture();
    const program = new Command('benchtop').exitOverride();
    const io = { env: {}, out: out.stream, err: capture().stream };
    for (const name of ['restart', 'other'] as const) {
      addCommand(
        program,
        {
          name: `${name} <instrument>`,
          description: `${name} an instrument`,
          options: [[['--url <url>', 'server']], ['--force', 'even if ready']],
          action: lazy(async () => {
            imported.push(name);
            return module;
          }, 'restartAction'),
        },
        io,
      );
    }
    assert.deepEqual(imported, [], 'declaring commands imports nothing');
    const before = process.exitCode;
    try {
      await program.parseAsync(['restart', 'meter', '--url', 'http://lab:8080', '--force'], { from: 'user' });
      assert.deepEqual(imported, ['restart'], 'only the command that ran');
      assert.deepEqual(out.text, ['restart meter at http://lab:8080 force=true\n']);
      assert.equal(process.exitCode, 3, 'a number returned is the exit code');
    } finally {
      process.exitCode = before;
    }
  });

  it('adds help text from a module only when help is asked for', async () => {
    let loads = 0;
    const program = new Command('benchtop');
    addCommand(
      program,
      {
        name: 'users',
        description: 'users',
        commands: [
          {
            name: 'passwd <name>',
            description: 'change a password',
            helpAfter: async () => {
              loads++;
              return '\nThe password is read from standard input.';
            },
          },
        ],
      },
      { env: {}, out: capture().stream, err: capture().stream },
    );
    assert.equal(loads, 0);
    await loadHelpTexts(program);
    const passwd = program.commands[0]!.commands[0]!;
    let shown = '';
    passwd
      .configureOutput({
        writeOut: (s) => {
          shown += s;
        },
      })
      .outputHelp();
    assert.equal(loads, 1);
    assert.match(shown, /Usage: benchtop users passwd \[options\] <name>[\s\S]*read from standard input/);
  });
});
