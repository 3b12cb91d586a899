// ot.js against MeshOT: the Swift-generated scenarios (Tests/Fixtures/ot-scenarios.json), the
// hand-written cases of MeshOTTests/TextOperationTests, and the algebraic laws on seeded cases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TextOperation, OTError, replacementBetween } from '../../Sources/MeshServer/Resources/web/ot.js';
import { cpLength, cpToUnits, unitsToCp, changedRange, wellFormed } from '../../Sources/MeshServer/Resources/web/codepoints.js';
import { documentHash, colorIndex } from '../../Sources/MeshServer/Resources/web/hash.js';
import { withFixture, SeededRandom, randomText, randomOperation, propertyCases } from './support.mjs';

const op = (components) => TextOperation.of(components);
const json = (operation) => JSON.stringify(operation.toJSON());

test('the Swift scenarios: apply, transform (both priorities), compose, invert, offsets, selections, normal form', (t) => {
  withFixture(t, (fixture) => {
    assert.equal(fixture.format, 1);
    assert.ok(fixture.scenarios.length >= 100, 'the fixture holds scenarios');
    for (const s of fixture.scenarios) {
      const where = `scenario of seed ${s.seed}`;
      const a = TextOperation.fromJSON(s.a);
      const b = TextOperation.fromJSON(s.b);
      // Reading the wire form keeps Swift's normal form as it is.
      assert.deepEqual(a.toJSON(), s.a, where);
      assert.deepEqual(b.toJSON(), s.b, where);
      assert.equal(a.baseLength, cpLength(s.base), where);
      assert.equal(a.apply(s.base), s.afterA, where);
      assert.equal(b.apply(s.base), s.afterB, where);

      const [aPrime, bPrime] = TextOperation.transform(a, b, 'left');
      assert.deepEqual(aPrime.toJSON(), s.aPrime, `${where}: a′`);
      assert.deepEqual(bPrime.toJSON(), s.bPrime, `${where}: b′`);
      assert.equal(bPrime.apply(s.afterA), s.merged, where);
      assert.equal(aPrime.apply(s.afterB), s.merged, `${where}: TP1`);

      const [aRight, bRight] = TextOperation.transform(a, b, 'right');
      assert.deepEqual(aRight.toJSON(), s.aPrimeRight, `${where}: a′ (right priority)`);
      assert.deepEqual(bRight.toJSON(), s.bPrimeRight, `${where}: b′ (right priority)`);
      assert.equal(bRight.apply(s.afterA), s.mergedRight, where);
      assert.equal(aRight.apply(s.afterB), s.mergedRight, `${where}: TP1 (right priority)`);

      const next = TextOperation.fromJSON(s.next);
      const composed = a.compose(next);
      assert.deepEqual(composed.toJSON(), s.composed, `${where}: compose`);
      assert.equal(composed.apply(s.base), s.afterNext, where);
      assert.equal(next.apply(s.afterA), s.afterNext, where);

      assert.deepEqual(a.invert(s.base).toJSON(), s.inverseA, `${where}: invert`);

      for (const o of s.offsets) {
        assert.equal(a.transformOffset(o.offset, 'before'), o.before, `${where}: offset ${o.offset} before`);
        assert.equal(a.transformOffset(o.offset, 'after'), o.after, `${where}: offset ${o.offset} after`);
      }
      assert.deepEqual(a.transformSelection(s.selection), s.selectionAfterA, `${where}: selection`);

      assert.deepEqual(TextOperation.fromJSON(s.raw).toJSON(), s.normalized, `${where}: normal form of ${JSON.stringify(s.raw)}`);
    }
  });
});

test('building keeps normal form (TextOperationTests.buildingKeepsNormalForm)', () => {
  const o = new TextOperation();
  o.retain(0).insert('').delete(0);
  assert.deepEqual(o.ops, []);
  o.retain(2).retain(3).delete(1).insert('x').insert('y').delete(2);
  assert.deepEqual(o.toJSON(), [5, 'xy', -3]);
  assert.equal(o.baseLength, 8);
  assert.equal(o.targetLength, 7);
  assert.ok(op([1, -2, 'é']).equals(op([1, 'é', -1, -1])));
});

test('apply counts code points, not UTF-16 units', () => {
  const cases = [
    ['', ['😀'], '😀'],
    ['😀x', [-1, 1], 'x'],
    ['a😀b', [2, '中文', 1], 'a😀中文b'],
    ['e\u0301', [1, -1, '\u0300'], 'e\u0300'],
    ['a\r\nb', [2, 'x', 2], 'a\rx\nb'],
    ['a\rb', [1, -1, 1], 'ab'],
    ['line\n', [5, 'next'], 'line\nnext'],
    ['line', [4, '\n'], 'line\n'],
    ['', [], ''],
    ['𝄞😀𝄞', [1, -1, '!', 1], '𝄞!𝄞'],
  ];
  for (const [base, components, expected] of cases) assert.equal(op(components).apply(base), expected, JSON.stringify(components));
});

test('apply refuses a text of the wrong length', () => {
  assert.throws(() => op([3, 'x']).apply('😀a'), (e) => e instanceof OTError && e.kind === 'baseLengthMismatch'
    && e.expected === 3 && e.actual === 2);
  assert.throws(() => op([3, 'x']).apply('abcd'), OTError);
});

test('compose chains edits', () => {
  const a = op([1, '😀', 2]);
  const b = op([-2, 1, '中', 1]);
  const ab = a.compose(b);
  assert.equal(ab.apply('abc'), 'b中c');
  assert.deepEqual(ab.toJSON(), [-1, 1, '中', 1]);
  assert.throws(() => a.compose(a), (e) => e.kind === 'baseLengthMismatch' && e.expected === 3 && e.actual === 4);
});

test('transform orders same-spot inserts by priority', () => {
  const a = op([1, 'A', 1]);
  const b = op([1, 'B', 1]);
  const [a1, b1] = TextOperation.transform(a, b, 'left');
  assert.equal(b1.apply(a.apply('xy')), 'xABy');
  assert.equal(a1.apply(b.apply('xy')), 'xABy');
  const [a2, b2] = TextOperation.transform(a, b, 'right');
  assert.equal(b2.apply(a.apply('xy')), 'xBAy');
  assert.equal(a2.apply(b.apply('xy')), 'xBAy');
  assert.throws(() => TextOperation.transform(op([1]), op([2])), OTError);
});

test('overlapping deletes, astral text', () => {
  const a = op([1, -3, 1]);
  const b = op([2, -3]);
  const [a1, b1] = TextOperation.transform(a, b);
  const text = 'a😀中bc';
  assert.equal(b1.apply(a.apply(text)), 'a');
  assert.equal(a1.apply(b.apply(text)), 'a');
});

test('invert restores astral characters and CRLF', () => {
  const base = 'x😀\r\ny';
  const o = op([1, -3, '中', 1]);
  const after = o.apply(base);
  assert.equal(after, 'x中y');
  assert.equal(o.invert(base).apply(after), base);
});

test('compact JSON form, and what a peer may not send', () => {
  const o = op([5, 'a😀', -3, 1]);
  assert.equal(JSON.stringify(o), '[5,"a😀",-3,1]');
  assert.ok(TextOperation.fromJSON(JSON.parse(JSON.stringify(o))).equals(o));
  for (const bad of [[0], [''], [1.5], [true], { retain: 1 }, [[1]], [null], [2 ** 32 + 1], [2 ** 32, 1], 'abc']) {
    assert.throws(() => TextOperation.fromJSON(bad), (e) => e instanceof OTError && e.kind === 'invalidEncoding', JSON.stringify(bad));
  }
  assert.equal(TextOperation.fromJSON([2 ** 32]).baseLength, 2 ** 32);
});

test('cursor stickiness and selections (TextOperationTests)', () => {
  const o = op([2, 'xyz', 2]);
  assert.equal(o.transformOffset(2, 'before'), 2);
  assert.equal(o.transformOffset(2, 'after'), 5);
  assert.equal(o.transformOffset(1, 'after'), 1);
  assert.equal(o.transformOffset(3, 'before'), 6);
  const d = op([1, -2, 1]);
  assert.equal(d.transformOffset(2, 'after'), 1);
  assert.equal(d.transformOffset(4, 'after'), 2);
  const moved = op([1, '<', 2, '>', 2]).transformSelection([{ anchor: 1, head: 3 }, { anchor: 4, head: 2 }, { anchor: 3, head: 3 }]);
  assert.deepEqual(moved, [{ anchor: 2, head: 4 }, { anchor: 6, head: 3 }, { anchor: 5, head: 5 }]);
});

test('code point helpers', () => {
  assert.equal(cpLength('a😀b'), 3);
  assert.equal(cpLength('\uD800x'), 2);   // a lone surrogate counts once
  assert.equal(cpToUnits('a😀b', 2), 3);
  assert.equal(unitsToCp('a😀b', 3), 2);
  assert.equal(cpToUnits('abc', 9), 3);
  assert.equal(wellFormed('a\uD800b\uDC00'), 'a\uFFFDb\uFFFD');
  assert.equal(wellFormed('😀'), '😀');
});

test('replacementBetween / changedRange never split a surrogate pair', () => {
  assert.deepEqual(changedRange('a😀b', 'a😃b'), [1, 3, 3]);
  assert.deepEqual(replacementBetween('a😀b', 'a😃b').toJSON(), [1, '😃', -1, 1]);
  assert.deepEqual(replacementBetween('abc', 'abc').toJSON(), [3]);
  assert.deepEqual(replacementBetween('', 'x').toJSON(), ['x']);
  assert.deepEqual(replacementBetween('aaa', 'aa').toJSON(), [2, -1]);
  const rng = new SeededRandom(7);
  for (let i = 0; i < propertyCases(); i++) {
    const before = randomText(rng, 10);
    const after = randomText(rng, 10);
    assert.equal(replacementBetween(before, after).apply(before), after, JSON.stringify([before, after]));
    const [s, oe, ne] = changedRange(before, after, rng.int(0, 12));
    assert.equal(before.slice(0, s) + after.slice(s, ne) + before.slice(oe), after);
  }
});

test('documentHash is MeshProtocol.DocumentHash (FNV-1a 64 over UTF-8)', () => {
  assert.equal(documentHash(''), 'cbf29ce484222325');
  assert.equal(documentHash('a'), 'af63dc4c8601ec8c');
  assert.equal(documentHash('foobar'), '85944171f73967e8');
  const reference = (s) => {
    let h = 0xcbf29ce484222325n;
    for (const byte of new TextEncoder().encode(s)) h = ((h ^ BigInt(byte)) * 0x100000001b3n) & 0xffffffffffffffffn;
    return h.toString(16).padStart(16, '0');
  };
  const rng = new SeededRandom(3);
  for (let i = 0; i < 200; i++) {
    const s = randomText(rng, 40);
    assert.equal(documentHash(s), reference(s));
  }
});

test('colorIndex is MeshLSP’s colour index', () => {
  // FNV-1a 32 over the code points, modulo 8 (LanguageServer.colorIndex).
  const reference = (user) => {
    let h = 2166136261n;
    for (const ch of user) h = ((h ^ BigInt(ch.codePointAt(0))) * 16777619n) & 0xffffffffn;
    return Number(h % 8n);
  };
  for (const user of ['', 'a', '8C0F2F64-2D1B-4E6B-9C4D-1B2E3F4A5B6C', 'Ada 😀']) assert.equal(colorIndex(user), reference(user));
});

test('laws on seeded cases: compose = sequential apply, TP1 both priorities, invert round-trips', () => {
  for (let seed = 0; seed < propertyCases(); seed++) {
    const rng = new SeededRandom(seed);
    const text = randomText(rng, 12);
    const a = randomOperation(TextOperation, rng, cpLength(text));
    const b = randomOperation(TextOperation, rng, cpLength(text));
    const afterA = a.apply(text);
    const c = randomOperation(TextOperation, rng, cpLength(afterA));
    assert.equal(a.compose(c).apply(text), c.apply(afterA), `seed ${seed}`);
    for (const priority of ['left', 'right']) {
      const [a1, b1] = TextOperation.transform(a, b, priority);
      assert.equal(b1.apply(afterA), a1.apply(b.apply(text)), `seed ${seed} ${priority}: ${a} / ${b}`);
    }
    assert.equal(a.invert(text).apply(afterA), text, `seed ${seed}`);
    assert.ok(TextOperation.fromJSON(JSON.parse(JSON.stringify(a))).equals(a), `seed ${seed}`);
    assert.equal(json(TextOperation.fromJSON(a.toJSON())), json(a));
  }
});
