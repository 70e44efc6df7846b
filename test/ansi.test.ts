// The one colour module: colour only on a terminal, never with NO_COLOR (non-empty) or in CI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { colorOn, colorsFor, paint } from '../src/cli/ansi.js';

const tty = { isTTY: true } as NodeJS.WriteStream;
const pipe = { isTTY: false } as NodeJS.WriteStream;

test('colours on a terminal only, and never with NO_COLOR or in CI', () => {
  assert.equal(colorOn(tty, {}), true);
  assert.equal(colorOn(tty, { NO_COLOR: '' }), true, 'an empty NO_COLOR does not count (no-color.org)');
  assert.equal(colorOn(tty, { NO_COLOR: '1' }), false);
  assert.equal(colorOn(tty, { CI: 'true' }), false);
  assert.equal(colorOn(pipe, {}), false);
  assert.equal(colorsFor(pipe, {}).green('ok'), 'ok');
});

test('the codes chalk wrote at level 1, nested by composition', () => {
  const c = paint(true);
  assert.equal(c.green('✓'), '\x1b[32m✓\x1b[39m');
  assert.equal(c.bold(c.cyan('▶ x')), '\x1b[1m\x1b[36m▶ x\x1b[39m\x1b[22m');
  assert.equal(c.dim('hint'), '\x1b[2mhint\x1b[22m');
  assert.equal(paint(false).red('✗'), '✗');
});
