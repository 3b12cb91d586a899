// text.js: a textarea shows "\n" for every line break; typing in it must become the right
// operation on the document (code points, "\r\n" kept), and remote operations the right edits
// of the textarea.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TextOperation } from '../../Sources/MeshServer/Resources/web/ot.js';
import { cpLength, utf8Length } from '../../Sources/MeshServer/Resources/web/codepoints.js';
import { DisplayText, operationFromInput, displayEdits, lineStarts, lineOf, expandTabs } from '../../Sources/MeshServer/Resources/web/text.js';
import { SeededRandom, randomText, randomOperation, propertyCases } from './support.mjs';

/** What a browser does to a textarea's value. */
const normalise = (s) => s.replace(/\r\n?/g, '\n');

test('the display of a CRLF document and the maps both ways', () => {
  const shown = new DisplayText('a\r\nb\rc\r\n');
  assert.equal(shown.display, 'a\nb\nc\n');
  assert.equal(shown.newline, '\r\n');
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 7, 8].map((d) => shown.toDisplay(d)), [0, 1, 1, 2, 3, 4, 5, 5, 6]);
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6].map((v) => shown.toDocument(v)), [0, 1, 3, 4, 5, 6, 8]);
  assert.equal(new DisplayText('x\ny').identity, true);
  assert.equal(new DisplayText('a\rb\rc').newline, '\r');
});

test('typing becomes the operation on the document: CRLF kept, code points counted', () => {
  const cases = [
    // [document, textarea value after the edit, document after]
    ['a\r\nb', 'a\nxb', 'a\r\nxb'],
    ['a\r\nb', 'ab', 'ab'],
    ['a\r\nb', 'a\n\nb', 'a\r\n\r\nb'],
    ['😀x\r\n', '😀yx\n', '😀yx\r\n'],
    ['𝄞', '', ''],
    ['ab', 'a😀b', 'a😀b'],
    ['a\nb', 'a\nb', null],
  ];
  for (const [doc, value, expected] of cases) {
    const shown = new DisplayText(doc);
    const op = operationFromInput(shown, value);
    if (expected === null) { assert.equal(op, null); continue; }
    assert.equal(op.baseLength, cpLength(doc));
    assert.equal(op.apply(doc), expected, JSON.stringify([doc, value]));
  }
});

test('random typing into random documents round-trips through the display', () => {
  for (let seed = 0; seed < propertyCases(); seed++) {
    const rng = new SeededRandom(seed);
    const doc = randomText(rng, 12);
    const shown = new DisplayText(doc);
    // The user replaces a random display range with random text (the browser normalises it).
    const d = shown.display;
    let from = rng.int(0, d.length);
    let to = rng.int(from, d.length);
    // A caret never sits inside a surrogate pair.
    if (from > 0 && /[\uDC00-\uDFFF]/.test(d[from] ?? '')) from--;
    if (to > 0 && to < d.length && /[\uDC00-\uDFFF]/.test(d[to])) to++;
    const value = d.slice(0, from) + normalise(randomText(rng, 3)) + d.slice(to);
    const op = operationFromInput(shown, value, rng.int(0, from));
    if (op === null) { assert.equal(value, d); continue; }
    const after = op.apply(doc);
    assert.equal(new DisplayText(after).display, value, `seed ${seed}`);
  }
});

test('remote operations become textarea edits that make the new display', () => {
  for (let seed = 0; seed < propertyCases(); seed++) {
    const rng = new SeededRandom(seed);
    const withCR = rng.bool();
    const pick = (n) => (withCR ? randomText(rng, n) : randomText(rng, n).replace(/\r/g, ''));
    const doc = pick(12);
    const op = randomOperation(TextOperation, rng, cpLength(doc));
    if (!withCR) op.ops = op.ops.map((c) => (typeof c === 'string' ? c.replace(/\r/g, '') || 'q' : c));
    const fixed = TextOperation.of(op.ops);
    const after = fixed.apply(doc);
    const shown = new DisplayText(doc);
    const next = new DisplayText(after);
    let value = shown.display;
    for (const [from, to, text] of displayEdits(fixed, shown, next).reverse()) value = value.slice(0, from) + text + value.slice(to);
    assert.equal(value, next.display, `seed ${seed}`);
  }
});

test('lines, and tabs', () => {
  const starts = lineStarts('ab\n\ncd\n');
  assert.deepEqual(starts, [0, 3, 4, 7]);
  assert.deepEqual([0, 2, 3, 4, 6, 7].map((o) => lineOf(starts, o)), [0, 0, 1, 2, 2, 3]);
  assert.equal(expandTabs('a\tb\t'), 'a   b   ');
});

test('utf8Length counts the bytes a WebSocket sends: TextEncoder’s count, lone surrogates as U+FFFD', () => {
  const rng = new SeededRandom(7);
  const pieces = ['a', '\u007f', '\u0080', 'é', '\u07ff', '\u0800', '中', '\uffff', '😀', '𝄞', '\ud800', '\udc00', '\ud83d', 'x\ud83dy', '\n'];
  for (let i = 0; i < propertyCases(2000); i++) {
    let text = '';
    for (let k = rng.int(0, 12); k > 0; k--) text += rng.pick(pieces);
    assert.equal(utf8Length(text), new TextEncoder().encode(text).length, JSON.stringify(text));
  }
  assert.equal(utf8Length(''), 0);
  assert.equal(utf8Length('\ud83d\ude00'), 4);
  assert.equal(utf8Length('\ude00\ud83d'), 6);
});
