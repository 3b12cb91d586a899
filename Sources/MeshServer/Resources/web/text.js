// Between a document's text and what a <textarea> can hold. A textarea normalises every line
// break to "\n" (HTML's value normalisation), so a document with "\r\n" or "\r" is shown with
// "\n" and offsets are mapped: a "\r\n" is one display character, a lone "\r" is shown as "\n"
// (one for one). Typed line breaks become the document's own ("\r\n" in a CRLF document). Offsets
// here are UTF-16 units; codepoints.js converts them to the code points the wire counts.
import { cpLength, cpAdvance, isBMP, changedRange, wellFormed } from './codepoints.js';
import { TextOperation } from './ot.js';

/** A document text with its display form and the offset maps between them. */
export class DisplayText {
  constructor(text) {
    this.text = text;
    this.bmp = isBMP(text);
    /** UTF-16 indices of the "\r" of every "\r\n", ascending. */
    this.crlf = [];
    if (text.includes('\r')) {
      let loneCR = 0;
      let lf = 0;
      for (let i = text.indexOf('\r'); i !== -1; i = text.indexOf('\r', i + 1)) {
        if (text.charCodeAt(i + 1) === 10) this.crlf.push(i); else loneCR++;
      }
      for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lf++;
      this.display = text.replace(/\r\n?/g, '\n');
      this.newline = this.crlf.length > 0 && this.crlf.length * 2 >= lf ? '\r\n' : loneCR > lf ? '\r' : '\n';
    } else {
      this.display = text;
      this.newline = '\n';
    }
  }

  get identity() { return this.display === this.text; }

  /** The display offset of document offset `d` (a position inside a "\r\n" maps before it). */
  toDisplay(d) {
    if (this.crlf.length === 0) return d;
    // The number of "\r\n" that start before d; a position between "\r" and "\n" counts that pair.
    return d - this.crlfBefore((at) => at < d);
  }

  /** The document offset of display offset `v` (before the "\r" of a "\r\n"). */
  toDocument(v) {
    if (this.crlf.length === 0) return v;
    // crlf[k] is at display offset crlf[k] - k; count those before v.
    return v + this.crlfBefore((at, k) => at - k < v);
  }

  /** How many "\r\n" pass `before(at, k)` (`at`: the index of the k-th one's "\r"), a test true for a prefix of them. */
  crlfBefore(before) {
    let lo = 0;
    let hi = this.crlf.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (before(this.crlf[mid], mid)) lo = mid + 1; else hi = mid;
    }
    return lo;
  }

  /** Code point offset of document UTF-16 offset `d`. */
  cpOf(d) {
    return this.bmp ? d : cpLength(this.text.slice(0, d));
  }

  /** Document UTF-16 offset of code point offset `cp`. */
  unitsOf(cp) {
    return this.bmp ? Math.min(cp, this.text.length) : cpAdvance(this.text, 0, cp);
  }

  /** Display offset of code point offset `cp`. */
  displayOf(cp) { return this.toDisplay(this.unitsOf(cp)); }

  /** Code point offset of display offset `v`. */
  cpOfDisplay(v) { return this.cpOf(this.toDocument(v)); }

  /** Display text typed by the user, as document text: line breaks in the document's style. */
  documentText(typed) {
    const clean = wellFormed(typed.replace(/\r\n?/g, '\n'));
    return this.newline === '\n' ? clean : clean.replace(/\n/g, this.newline);
  }
}

/** The edit the user made in the textarea, as a TextOperation on the document: `before` is the
 *  display text before, `after` the textarea's value now; `hint` a display offset before which
 *  nothing changed (speeds up the search). Null when nothing changed. */
export function operationFromInput(shown, after, hint = 0) {
  const before = shown.display;
  if (before === after) return null;
  const [start, oldEnd, newEnd] = changedRange(before, after, hint);
  const from = shown.toDocument(start);
  const to = shown.toDocument(oldEnd);
  const inserted = shown.documentText(after.slice(start, newEnd));
  const cpFrom = shown.cpOf(from);
  const cpTo = cpFrom + (shown.bmp ? to - from : cpLength(shown.text.slice(from, to)));
  const length = shown.bmp ? shown.text.length : cpLength(shown.text);
  return TextOperation.replacing(cpFrom, cpTo, inserted, length);
}

/** The display edits `[from, to, text]` (display offsets of the old text, ascending, not
 *  overlapping) that turn `shown`'s display into `next`'s, where `next` is `shown`'s document
 *  after `op`. Exact per component when neither text holds "\r"; otherwise one replacement
 *  found by comparing the two displays. */
export function displayEdits(op, shown, next) {
  if (shown.identity && next.identity) {
    const edits = [];
    let index = 0;
    for (const c of op.ops) {
      if (typeof c === 'string') {
        const last = edits[edits.length - 1];
        if (last && last[1] === index) last[2] += c; else edits.push([index, index, c]);
      } else if (c > 0) {
        index = shown.bmp ? index + c : cpAdvance(shown.text, index, c);
      } else {
        const end = shown.bmp ? index - c : cpAdvance(shown.text, index, -c);
        const last = edits[edits.length - 1];
        if (last && last[1] === index) last[1] = end; else edits.push([index, end, '']);
        index = end;
      }
    }
    return edits;
  }
  if (shown.display === next.display) return [];
  const [start, oldEnd, newEnd] = changedRange(shown.display, next.display);
  return [[start, oldEnd, next.display.slice(start, newEnd)]];
}

/** Start offsets of every line of `text` (split at "\n"). */
export function lineStarts(text) {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

/** The line holding `offset`, by binary search in `starts`. */
export function lineOf(starts, offset) {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= offset) lo = mid; else hi = mid - 1;
  }
  return lo;
}

/** The visual column of `text`[0, end) with tabs to the next multiple of `tabSize`. */
export function expandTabs(text, tabSize = 4) {
  if (!text.includes('\t')) return text;
  let out = '';
  for (const ch of text) out += ch === '\t' ? ' '.repeat(tabSize - (out.length % tabSize)) : ch;
  return out;
}
