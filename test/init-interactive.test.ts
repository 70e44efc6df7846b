// The interactive path through a real pseudo-terminal (util-linux `script`): the guided init shows
// the project and tenant it checked, asks what is missing, refuses an invalid answer inline by the
// same schema as the flag, Enter takes the default, the derived ids are shown (not asked), the plan
// is confirmed with "Apply?", and Ctrl-C at a prompt stops cleanly with nothing changed or written.
// The full screens at 80 columns, in tmux, are in init-guided-terminal.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { useSandbox, requestLog } from './helpers/sandbox.js';

const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/iap-auth0.js');

/** Runs init in a pty; `script` answers with `[waitFor, send]` pairs once each text appears. */
function pty(
  args: string,
  env: Record<string, string>,
  cwd: string,
  answers: [RegExp, string][],
): Promise<{ code: number | null; out: string }> {
  const { CI: _ci, ...rest } = env;
  const child = spawn('script', ['-q', '-e', '-c', `${process.execPath} -- ${bin} init ${args}`, '/dev/null'], {
    cwd,
    env: {
      ...rest,
      PATH: process.env.PATH!,
      NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS!,
      TERM: 'xterm',
      COLUMNS: '200',
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let next = 0;
  const onData = (d: Buffer) => {
    out += d;
    // eslint-disable-next-line no-control-regex
    // biome-ignore lint/suspicious/noControlCharactersInRegex: ESC starts the terminal codes the test strips
    const plain = out.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
    while (next < answers.length && answers[next][0].test(plain)) {
      child.stdin.write(answers[next][1]);
      next++;
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  // A hang guard only: a full init and verify on a loaded 2-core machine can take well over 30 s.
  const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
  return new Promise((r) =>
    child.on('exit', (code) => {
      clearTimeout(timer);
      // biome-ignore lint/suspicious/noControlCharactersInRegex: ESC starts the terminal codes the test strips
      r({ code, out: out.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '') });
    }),
  );
}

test('init on a terminal', {
  skip: existsSync('/usr/bin/script') ? false : 'util-linux script is not installed',
}, async (t) => {
  const sb = await useSandbox();

  await t.test(
    'prompts for what is missing, refuses a bad answer inline, takes defaults, runs, then verifies',
    async () => {
      const cwd = await mkdtemp(path.join(os.tmpdir(), 'iap-auth0-tty-'));
      const r = await pty('--region europe-west1', sb.env, cwd, [
        [/Cloud Run service name/, 'Bad_Name\r'],
        [/service name "Bad_Name" is invalid/, '\x15hello\r'], // Ctrl-U clears the line, then a good name
        [/Container image/, '\r'],
        [/Who may sign in\?/, '\r'], // everyone in the tenant
        [/Customise ids\?/, '\r'], // no: the derived ids
        [/Apply\?/, '\r'],
        [/Verify now, waiting for them/, 'y\r'], // init offers verify --wait at the end
      ]);
      assert.match(r.out, /Project +sandbox-project \(number 415104041262, organization 123456789012\)/);
      assert.match(r.out, /workforce pool\s+iap-hello-europe-west1-sandbox-project/, 'the derived ids are shown');
      assert.doesNotMatch(r.out, /Workforce pool id/, 'ids are not asked one by one');
      assert.match(r.out, /^The plan:$/m);
      assert.equal(r.code, 0, r.out);
      assert.match(r.out, /Done\. Your app: https:\/\/127\.0\.0\.1:\d+/);
      assert.match(r.out, /All \d+ checks passed/, 'verify ran after init and passed');
      assert.ok((await readdir(path.join(cwd, '.iap-auth0'))).includes('state.json'));
    },
  );

  await t.test('a project typo is reported before the first question, with nothing written', async () => {
    const cwd = await mkdtemp(path.join(os.tmpdir(), 'iap-auth0-tty-'));
    const since = (await requestLog(sb)).at(-1)?.seq ?? 0;
    const r = await pty('--project sandbox-projetc', sb.env, cwd, []);
    assert.equal(r.code, 2, r.out);
    assert.match(r.out, /project sandbox-projetc was not found or you may not read it/);
    assert.doesNotMatch(r.out, /Cloud Run service name|\?/, 'no question was asked');
    assert.deepEqual(
      (await requestLog(sb, since)).filter((x) => x.mutating),
      [],
    );
    assert.deepEqual(await readdir(cwd), []);
  });

  await t.test('Ctrl-C at a prompt: exit 130, nothing changed, nothing written', async () => {
    const cwd = await mkdtemp(path.join(os.tmpdir(), 'iap-auth0-tty-'));
    const since = (await requestLog(sb)).at(-1)?.seq ?? 0;
    const r = await pty('', sb.env, cwd, [[/Cloud Run service name/, '\x03']]);
    assert.equal(r.code, 130, r.out);
    assert.match(r.out, /interrupted; nothing was changed/);
    // The project and the tenant were checked (reads) before the first question; nothing was written.
    const log = await requestLog(sb, since);
    assert.ok(log.length > 0, 'the project and tenant were read');
    assert.deepEqual(
      log.filter((x) => x.mutating),
      [],
    );
    assert.deepEqual(await readdir(cwd), []);
  });
});
