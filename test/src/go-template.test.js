'use strict';
// The notify preview's Go template renderer (src/lynx/go-template): field references
// rendered as Go's text/template prints them, other actions kept and reported, the fields
// a template uses and those the data lacks.
const assert = require('node:assert/strict');
const path = require('node:path');
const { dist } = require('../support/nodered');
const { previewTemplate, templateFields, missingFields, goPrint } = require(path.join(dist, 'src/lynx/go-template'));

describe('lynx: Go template preview', () => {
  it('renders field references, with or without spaces and trim markers', () => {
    const data = { payload: { message: 'Door open', value: 1 }, installation: { Name: 'Office', ID: 10 } };
    assert.equal(previewTemplate('{{.installation.Name}} says: {{.payload.message}}', data).text, 'Office says: Door open');
    assert.equal(previewTemplate('[{{ .payload.value }}]', data).text, '[1]');
    assert.equal(previewTemplate('a  {{- .payload.value -}}  b', data).text, 'a1b');
    assert.equal(previewTemplate('{{/* a comment */}}x', data).text, 'x');
  });

  it('prints values as Go does (%v of decoded JSON)', () => {
    assert.equal(goPrint(31.5), '31.5');
    assert.equal(goPrint(3), '3');
    assert.equal(goPrint(1e21), '1e+21');
    assert.equal(goPrint(true), 'true');
    assert.equal(goPrint(null), '<nil>');
    assert.equal(goPrint({ b: 2, a: [1, 'x'] }), 'map[a:[1 x] b:2]');
  });

  it('shows a missing field as <no value> and names it; a numeric payload has no .message', () => {
    const r = previewTemplate('Alarm: {{.payload.message}} ({{.topic}})', { payload: 31.5 });
    assert.equal(r.text, 'Alarm: <no value> (<no value>)');
    assert.deepEqual(r.missing, ['.payload.message', '.topic']);
    assert.deepEqual(missingFields('{{.payload.message}} {{.installation.Name}}', { payload: {} }), ['.payload.message']);
    assert.deepEqual(missingFields('{{.payload.message}}', { payload: { message: '' } }), [], 'an empty string is there');
  });

  it('keeps other actions verbatim and reports them; still lists the fields they use', () => {
    const src = '{{if .payload.alarm}}ALARM{{end}} {{.payload.value | printf "%.1f"}} {{.name}}';
    const r = previewTemplate(src, { name: 'n', payload: {} });
    assert.equal(r.text, '{{if .payload.alarm}}ALARM{{end}} {{.payload.value | printf "%.1f"}} n');
    assert.deepEqual(r.unsupported, ['{{if .payload.alarm}}', '{{end}}', '{{.payload.value | printf "%.1f"}}']);
    assert.deepEqual(templateFields(src), ['.payload.alarm', '.payload.value', '.name']);
    assert.deepEqual(r.missing, [], 'only plain references count as missing');
  });

  it('never throws on odd input', () => {
    assert.equal(previewTemplate('open {{ .a', {}).text, 'open {{ .a');
    assert.equal(previewTemplate(undefined, {}).text, '');
    assert.equal(previewTemplate('{{.}}', 'x').text, 'x');
    assert.equal(previewTemplate('{{.a.b}}', { a: 'text' }).text, '<no value>');
    assert.equal(previewTemplate('{{.constructor}}', {}).text, '<no value>', 'own keys only');
  });
});
