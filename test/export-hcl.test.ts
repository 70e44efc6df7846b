// The export's HCL writer against HashiCorp's own parser and formatter (hclwrite, as `terraform fmt`
// uses it), compiled to WebAssembly: what it writes parses to the values it was given, and the
// formatter leaves it unchanged, for every shape the export writes and for the awkward strings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from '@cdktn/hcl2json';
import { format } from '@cdktn/hcl-tools';
import { attr, blank, block, comment, expr, obj, quote, render, template } from '../src/core/export/hcl.js';

test('HCL writer: formatted as terraform fmt leaves it, and parses back to the values given', async () => {
  const awkward = `a "quoted" \\ back\nslash \${not.interpolated} %{ not a directive } tab\there`;
  const text = render([
    comment('two lines\nof comment'),
    block(
      'resource',
      ['google_x', 'y'],
      [
        attr('name', 'short'),
        attr('a_much_longer_name', 42),
        attr('enabled', true),
        attr('ref', expr('var.region')),
        attr('awkward', awkward),
        attr('templated', template('projects/', expr('data.google_project.this.number'), '/iap_web')),
        blank,
        attr('empty', []),
        attr('list', ['a', 'b']),
        attr(
          'long_list',
          Array.from({ length: 6 }, (_, i) => `https://example.com/a/long/path/${i}`),
        ),
        attr('mapping', obj({ 'google.subject': 'assertion.sub', plain_key: 'x', for: 'keyword key', 'a-b': '1' })),
        attr('after_map', 'x'),
        block('nested', [], [attr('inner', 'v'), block('deeper', [], [attr('z', 1)])]),
        block('empty_block', [], []),
        attr('objects', [obj({ a: 1 }), obj({ b: '2' })]),
      ],
    ),
    block('variable', ['v'], [attr('type', expr('list(string)')), attr('default', [])]),
  ]);
  assert.equal(await format(text), text, text);
  const json: any = await parse('t.tf', text);
  const r = json.resource.google_x.y[0];
  // hcl2json writes Terraform's JSON syntax, where every string is a template: literal `${` and `%{` come back escaped.
  assert.equal(
    r.awkward,
    awkward.replace(/\$\{/, () => '$${').replace(/%\{/, () => '%%{'),
  );
  assert.equal(r.templated, `projects/\${data.google_project.this.number}/iap_web`);
  assert.equal(r.ref, `\${var.region}`);
  assert.equal(r.a_much_longer_name, 42);
  assert.deepEqual(r.list, ['a', 'b']);
  assert.equal(r.long_list.length, 6);
  assert.deepEqual(r.mapping, { 'google.subject': 'assertion.sub', plain_key: 'x', for: 'keyword key', 'a-b': '1' });
  assert.deepEqual(r.nested[0].deeper[0], { z: 1 });
  assert.deepEqual(r.objects, [{ a: 1 }, { b: '2' }]);
  // Alignment: a run of single-line attributes shares one `=` column; a multi-line value ends the run.
  assert.match(text, /\n {2}name {15}= "short"\n {2}a_much_longer_name = 42\n/);
  assert.match(text, /\n {4}"google\.subject" = "assertion\.sub"\n {4}plain_key {8}= "x"\n/);
});

test('HCL writer: a literal string never interpolates, and names that are not identifiers are refused', async () => {
  assert.equal(quote(`\${x}`), `"$\${x}"`);
  assert.equal(quote('%{if}'), '"%%{if}"');
  assert.throws(() => render([block('b', [], [attr('not valid', 1)])]), /not an HCL attribute name/);
});
