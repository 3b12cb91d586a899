// highlight.js: the languages the issue names, multi-line states, and the incremental line
// states matching a full tokenization after random edits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tokenizeLine, languageOf, LineStates } from '../../Sources/MeshServer/Resources/web/highlight.js';
import { SeededRandom, propertyCases } from './support.mjs';

/** `[text, class]` of every token of a line. */
const classes = (language, line, state) => tokenizeLine(language, line, state).tokens.map(([s, e, c]) => [line.slice(s, e), c]);

test('languages by file name', () => {
  assert.equal(languageOf('cmd/main.go'), 'go');
  assert.equal(languageOf('Sources/App.swift'), 'swift');
  assert.equal(languageOf('web/app.js'), 'javascript');
  assert.equal(languageOf('src/x.tsx'), 'javascript');
  assert.equal(languageOf('tool.py'), 'python');
  assert.equal(languageOf('README.md'), 'markdown');
  assert.equal(languageOf('Makefile'), null);
  assert.equal(languageOf('dir.go/file'), null);
});

test('each language marks keywords, strings, comments, numbers and calls', () => {
  assert.deepEqual(classes('go', 'func main() { x := "hi" // c'), [['func', 'kw'], ['main', 'fn'], ['"hi"', 'str'], ['// c', 'com']]);
  assert.deepEqual(classes('swift', '@MainActor let n: Int = 0x1F'), [['@MainActor', 'attr'], ['let', 'kw'], ['Int', 'type'], ['0x1F', 'num']]);
  assert.deepEqual(classes('javascript', "const s = 'a\\'b'; f(1)"), [['const', 'kw'], ["'a\\'b'", 'str'], ['f', 'fn'], ['1', 'num']]);
  assert.deepEqual(classes('python', 'def f(x): return None  # no'), [['def', 'kw'], ['f', 'fn'], ['return', 'kw'], ['None', 'lit'], ['# no', 'com']]);
  assert.deepEqual(classes('markdown', '# Title'), [['# Title', 'head']]);
  assert.deepEqual(classes('markdown', 'a `code` and **bold** [l](u)'), [['`code`', 'code'], ['**bold**', 'strong'], ['[l](u)', 'link']]);
});

test('multi-line states carry from line to line', () => {
  let r = tokenizeLine('go', 'x /* open', 'code');
  assert.equal(r.state, 'comment');
  r = tokenizeLine('go', 'still */ y', r.state);
  assert.equal(r.state, 'code');
  assert.deepEqual(r.tokens, [[0, 8, 'com']]);
  assert.equal(tokenizeLine('python', 's = """doc', 'code').state, 'dq3');
  assert.equal(tokenizeLine('javascript', 'let t = `a', 'code').state, 'template');
  assert.equal(tokenizeLine('swift', 'let s = """', 'code').state, 'multi');
  assert.equal(tokenizeLine('go', 'r := `raw', 'code').state, 'raw');
  assert.equal(tokenizeLine('markdown', '```go', 'code').state, 'fence');
  assert.equal(tokenizeLine('markdown', '```', 'fence').state, 'code');
  assert.deepEqual(tokenizeLine(null, 'anything', 'code'), { tokens: [], state: 'code' });
});

test('hostile text is only ever tokens of itself', () => {
  const line = '<script>alert(1)</script> "<img src=x onerror=alert(1)>"';
  for (const language of ['go', 'swift', 'javascript', 'python', 'markdown']) {
    const { tokens } = tokenizeLine(language, line, 'code');
    for (const [s, e] of tokens) assert.ok(s >= 0 && e <= line.length && s < e);
  }
});

test('incremental line states equal a full tokenization after random edits', () => {
  const pieces = ['/*', '*/', '`', '"', 'x', ' ', '\n', '\n', 'func', '"""', "'''", '#', '```\n'];
  for (let seed = 0; seed < propertyCases(300); seed++) {
    const rng = new SeededRandom(seed);
    const language = rng.pick(['go', 'javascript', 'python', 'swift', 'markdown']);
    let lines = [''];
    const states = new LineStates(language);
    for (let step = 0; step < 12; step++) {
      // Replace lines [from, from + removed] with new ones.
      const from = rng.int(0, lines.length - 1);
      const removed = rng.int(0, Math.min(2, lines.length - 1 - from));
      let text = '';
      for (let k = rng.int(0, 6); k > 0; k--) text += rng.pick(pieces);
      const replacement = (lines.slice(from, from + removed + 1).join('\n') + text).split('\n');
      lines = lines.slice(0, from).concat(replacement, lines.slice(from + removed + 1));
      states.edited(from, removed, replacement.length - 1);
      states.ensure(rng.int(0, lines.length), (i) => lines[i]);
    }
    states.ensure(lines.length, (i) => lines[i]);
    let state = 'code';
    for (let i = 0; i < lines.length; i++) {
      assert.equal(states.stateOf(i), state, `seed ${seed} line ${i} (${language})`);
      state = tokenizeLine(language, lines[i], state).state;
    }
    assert.equal(states.states.length, lines.length + 1, `seed ${seed}`);
  }
});
