// Code points and UTF-16 units. MeshOT and the wire count Unicode scalars (code points);
// JavaScript strings count UTF-16 units. These convert between the two (with a fast path when a
// text has no surrogates), cut texts by code points, make a text well-formed for a UTF-8 peer,
// find the changed range between two texts without splitting a surrogate pair, and count a
// text's UTF-8 bytes.

const SURROGATE = /[\uD800-\uDFFF]/;

/** Whether a string is free of surrogates (so code points and UTF-16 units coincide). */
export function isBMP(text) {
  return !SURROGATE.test(text);
}

/** The number of code points of `text` (a lone surrogate counts as one, as in `Array.from`). */
export function cpLength(text) {
  if (!SURROGATE.test(text)) return text.length;
  let n = 0;
  for (let i = 0; i < text.length; i++, n++) {
    const c = text.charCodeAt(i);
    if (c >= 0xD800 && c <= 0xDBFF && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xDC00 && d <= 0xDFFF) i++;
    }
  }
  return n;
}

/** The UTF-16 index `count` code points after UTF-16 index `from` (clamped to the end). */
export function cpAdvance(text, from, count) {
  let i = from;
  for (let k = 0; k < count && i < text.length; k++) {
    const c = text.charCodeAt(i);
    if (c >= 0xD800 && c <= 0xDBFF && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      i += d >= 0xDC00 && d <= 0xDFFF ? 2 : 1;
    } else {
      i += 1;
    }
  }
  return i;
}

/** The UTF-16 index of code point offset `cp` in `text`. */
export function cpToUnits(text, cp) {
  if (!SURROGATE.test(text)) return Math.min(cp, text.length);
  return cpAdvance(text, 0, cp);
}

/** The code point offset of UTF-16 index `units` in `text`. */
export function unitsToCp(text, units) {
  if (!SURROGATE.test(text)) return units;
  return cpLength(text.slice(0, units));
}

/** `text` without its first `n` code points. */
export function cpDrop(text, n) {
  return text.slice(cpAdvance(text, 0, n));
}

/** The first `n` code points of `text`. */
export function cpPrefix(text, n) {
  return text.slice(0, cpAdvance(text, 0, n));
}

/** `text` with every lone surrogate replaced by U+FFFD: what a UTF-8 peer can carry. */
export function wellFormed(text) {
  if (!SURROGATE.test(text)) return text;
  if (typeof text.toWellFormed === 'function') return text.toWellFormed();
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xD800 && c <= 0xDBFF && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xDC00 && d <= 0xDFFF) { out += text[i] + text[i + 1]; i++; continue; }
    }
    out += c >= 0xD800 && c <= 0xDFFF ? '\uFFFD' : text[i];
  }
  return out;
}

/** The bytes of `text` in UTF-8, as a WebSocket sends it (a lone surrogate goes as U+FFFD, three
 *  bytes), without encoding it. */
export function utf8Length(text) {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) { bytes += 1; continue; }
    if (isHigh(c) && i + 1 < text.length && isLow(text.charCodeAt(i + 1))) { bytes += 2; i++; continue; }
    bytes += 2;
  }
  return bytes;
}

/** `[start, oldEnd, newEnd]` in UTF-16 units: `oldText[start, oldEnd)` became
 *  `newText[start, newEnd)`, the rest is common. `hint` (a UTF-16 index at or before which both
 *  texts are known to agree) only speeds up the search. */
export function changedRange(oldText, newText, hint = 0) {
  const max = Math.min(oldText.length, newText.length);
  let start = Math.max(0, Math.min(hint, max));
  if (start > 0 && oldText.slice(0, start) !== newText.slice(0, start)) start = 0;
  while (start < max && oldText.charCodeAt(start) === newText.charCodeAt(start)) start++;
  // Never cut a surrogate pair: back off to its high half.
  if (start > 0 && isHigh(oldText.charCodeAt(start - 1))) start--;
  let oldEnd = oldText.length;
  let newEnd = newText.length;
  while (oldEnd > start && newEnd > start && oldText.charCodeAt(oldEnd - 1) === newText.charCodeAt(newEnd - 1)) {
    oldEnd--;
    newEnd--;
  }
  if (oldEnd < oldText.length && isLow(oldText.charCodeAt(oldEnd))) { oldEnd++; newEnd++; }
  return [start, oldEnd, newEnd];
}

function isHigh(c) { return c >= 0xD800 && c <= 0xDBFF; }
function isLow(c) { return c >= 0xDC00 && c <= 0xDFFF; }
