// A small line-by-line syntax highlighter: per language a few states (code, block comment,
// multi-line string, fenced code…) of sticky regular expressions. A line is tokenized from the
// state its previous line ended in, so the editor re-tokenizes only what it shows and what an
// edit changed. Tokens are [start, end, class] in UTF-16 units of the line; the editor renders
// them with textContent only. Go, Swift, JavaScript / TypeScript, Python and Markdown.

const words = (list) => new RegExp(`\\b(?:${list.split(/\s+/).join('|')})\\b`, 'y');
const NUMBER = { re: /\b(?:0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|\d[\d_]*(?:\.[\d_]+)?(?:[eE][+-]?\d+)?)\b/y, cls: 'num' };
const CALL = { re: /[A-Za-z_$][\w$]*(?=\s*\()/y, cls: 'fn' };
const TYPE_NAME = { re: /\b[A-Z][\w]*\b/y, cls: 'type' };
const WORD = { re: /[\w$]+|\s+/y };
const OTHER = { re: /[\s\S]/y };

/** The rules of a state that lasts until `end` (back to 'code'), all of it of class `cls`. */
const until = (end, cls) => [{ re: end, cls, next: 'code' }, { re: /[\s\S]+/y, cls }];

function blockComment(open = /\/\*/y, close = /[\s\S]*?\*\//y) {
  return { start: { re: open, cls: 'com', next: 'comment' }, state: until(close, 'com') };
}

const c = blockComment();
/** Go's and JavaScript's first rules: comments, then double- and single-quoted strings. */
const C_COMMENTS_AND_QUOTES = [
  { re: /\/\/.*/y, cls: 'com' },
  c.start,
  { re: /"(?:[^"\\]|\\.)*"?/y, cls: 'str' },
  { re: /'(?:[^'\\]|\\.)*'?/y, cls: 'str' },
];

const go = {
  code: [
    ...C_COMMENTS_AND_QUOTES,
    { re: /`/y, cls: 'str', next: 'raw' },
    { re: words('break case chan const continue default defer else fallthrough for func go goto if import interface map package range return select struct switch type var'), cls: 'kw' },
    { re: words('true false nil iota'), cls: 'lit' },
    { re: words('bool byte complex64 complex128 error float32 float64 int int8 int16 int32 int64 rune string uint uint8 uint16 uint32 uint64 uintptr any comparable'), cls: 'type' },
    NUMBER, CALL, WORD, OTHER,
  ],
  comment: c.state,
  raw: until(/[^`]*`/y, 'str'),
};

const swift = {
  code: [
    { re: /\/\/.*/y, cls: 'com' },
    c.start,
    { re: /"""/y, cls: 'str', next: 'multi' },
    { re: /"(?:[^"\\]|\\.)*"?/y, cls: 'str' },
    { re: /[@#][A-Za-z_]\w*/y, cls: 'attr' },
    { re: words('associatedtype actor async await break case catch class continue default defer deinit do else enum extension fallthrough fileprivate for func guard if import in init inout internal is let nonisolated open operator private protocol public repeat rethrows return self Self some any static struct subscript super switch throw throws try typealias var where while'), cls: 'kw' },
    { re: words('true false nil'), cls: 'lit' },
    NUMBER, TYPE_NAME, CALL, WORD, OTHER,
  ],
  comment: c.state,
  multi: until(/[\s\S]*?"""/y, 'str'),
};

const javascript = {
  code: [
    ...C_COMMENTS_AND_QUOTES,
    { re: /`/y, cls: 'str', next: 'template' },
    { re: words('abstract as async await break case catch class const constructor continue debugger declare default delete do else enum export extends finally for from function get if implements import in instanceof interface keyof let namespace new of private protected public readonly return satisfies set static super switch this throw try type typeof var void while with yield'), cls: 'kw' },
    { re: words('true false null undefined NaN Infinity'), cls: 'lit' },
    { re: words('string number boolean bigint symbol unknown never any object'), cls: 'type' },
    { re: /@[A-Za-z_$][\w$]*/y, cls: 'attr' },
    NUMBER, TYPE_NAME, CALL, WORD, OTHER,
  ],
  comment: c.state,
  template: until(/(?:[^`\\]|\\.)*`/y, 'str'),
};

const python = {
  code: [
    { re: /#.*/y, cls: 'com' },
    { re: /[rRbBuUfF]{0,2}"""/y, cls: 'str', next: 'dq3' },
    { re: /[rRbBuUfF]{0,2}'''/y, cls: 'str', next: 'sq3' },
    { re: /[rRbBuUfF]{0,2}"(?:[^"\\]|\\.)*"?/y, cls: 'str' },
    { re: /[rRbBuUfF]{0,2}'(?:[^'\\]|\\.)*'?/y, cls: 'str' },
    { re: /@[\w.]+/y, cls: 'attr' },
    { re: words('and as assert async await break class continue def del elif else except finally for from global if import in is lambda match case nonlocal not or pass raise return try while with yield'), cls: 'kw' },
    { re: words('True False None self cls'), cls: 'lit' },
    { re: words('int float str bytes bool list dict set tuple object type'), cls: 'type' },
    NUMBER, CALL, WORD, OTHER,
  ],
  dq3: until(/[\s\S]*?"""/y, 'str'),
  sq3: until(/[\s\S]*?'''/y, 'str'),
};

const markdown = {
  code: [
    { re: /^ {0,3}(?:```|~~~).*/y, cls: 'code', next: 'fence' },
    { re: /^ {0,3}#{1,6}(?:\s.*|$)/y, cls: 'head' },
    { re: /^ {0,3}>.*/y, cls: 'quote' },
    { re: /^\s*(?:[-*+]|\d+[.)])(?=\s)/y, cls: 'kw' },
    { re: /^ {0,3}(?:[-*_]\s*){3,}$/y, cls: 'kw' },
    { re: /`[^`]*`/y, cls: 'code' },
    { re: /\*\*[^*]+\*\*|__[^_]+__/y, cls: 'strong' },
    { re: /\*[^*\s][^*]*\*|_[^_\s][^_]*_/y, cls: 'em' },
    { re: /!?\[[^\]]*\]\([^)]*\)/y, cls: 'link' },
    { re: /<https?:[^>]*>/y, cls: 'link' },
    { re: /[^`*_![<]+/y },
    OTHER,
  ],
  fence: until(/^ {0,3}(?:```|~~~)\s*$/y, 'code'),
};

const LANGUAGES = { go, swift, javascript, python, markdown };

const EXTENSIONS = {
  go: 'go', swift: 'swift', js: 'javascript', mjs: 'javascript', cjs: 'javascript', jsx: 'javascript',
  ts: 'javascript', tsx: 'javascript', mts: 'javascript', cts: 'javascript', py: 'python', pyi: 'python',
  md: 'markdown', markdown: 'markdown',
};

/** The language of a document path, or null (plain text). */
export function languageOf(path) {
  const dot = path.lastIndexOf('.');
  if (dot < 0 || dot < path.lastIndexOf('/')) return null;
  return EXTENSIONS[path.slice(dot + 1).toLowerCase()] ?? null;
}

/** Lines longer than this are shown without highlighting (minified files). */
export const MAX_HIGHLIGHTED_LINE = 5000;

/** Tokenizes one line starting in `state` ('code' at the top of a file). */
export function tokenizeLine(language, line, state = 'code') {
  const grammar = LANGUAGES[language];
  if (!grammar || line.length > MAX_HIGHLIGHTED_LINE) return { tokens: [], state };
  const tokens = [];
  let pos = 0;
  let current = grammar[state] ? state : 'code';
  while (pos < line.length) {
    let advanced = false;
    for (const rule of grammar[current]) {
      rule.re.lastIndex = pos;
      const match = rule.re.exec(line);
      if (match === null || match[0].length === 0) continue;
      const end = pos + match[0].length;
      if (rule.cls) {
        const last = tokens[tokens.length - 1];
        if (last && last[1] === pos && last[2] === rule.cls) last[1] = end; else tokens.push([pos, end, rule.cls]);
      }
      pos = end;
      if (rule.next) current = rule.next;
      advanced = true;
      break;
    }
    if (!advanced) pos++;
  }
  return { tokens, state: current };
}

/** The state each line of `lines` starts in, kept current across edits: after an edit only the
 *  lines from the edit on are tokenized again, and only until a line starts in the state it
 *  started in before the edit (the rest is then unchanged, shifted). */
export class LineStates {
  constructor(language) {
    this.language = language;
    this.states = ['code'];     // states[i]: the state line i starts in
    this.valid = 0;             // states[0...valid] are known
    this.tentativeEnd = 0;      // states up to here are the old ones, shifted: right if the edit ends as it began
    this.resumeAfter = 0;       // the first line whose state may match an old one
  }

  /** Lines [from, from + removed] were replaced by lines [from, from + added]. */
  edited(from, removed, added) {
    const old = this.states;
    this.states = old.slice(0, from + 1).concat(new Array(added).fill(undefined), old.slice(from + 1 + removed));
    this.tentativeEnd = this.valid >= from + 1 + removed ? this.valid + added - removed : from;
    this.valid = Math.min(this.valid, from);
    this.resumeAfter = from + added;
  }

  /** Makes states[0...upTo] known; `lineAt(i)` gives line i's text. */
  ensure(upTo, lineAt) {
    if (!LANGUAGES[this.language]) return;
    while (this.valid < upTo) {
      const i = this.valid;
      const end = tokenizeLine(this.language, lineAt(i), this.states[i]).state;
      this.valid = i + 1;
      if (this.valid > this.resumeAfter && this.valid <= this.tentativeEnd && this.states[this.valid] === end) {
        // From here on every line starts as it did before the edit.
        this.valid = this.tentativeEnd;
      } else {
        this.states[this.valid] = end;
      }
    }
    this.tentativeEnd = Math.max(this.tentativeEnd, this.valid);
  }

  stateOf(line) { return this.valid >= line ? this.states[line] ?? 'code' : 'code'; }
}
