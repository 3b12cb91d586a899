// The operational-transform core of the browser client: MeshOT's `TextOperation` rules, line
// for line (Sources/MeshOT/Operation). Offsets and lengths count Unicode code points (scalars),
// as MeshOT and the wire do; JavaScript strings count UTF-16 units, so every count here goes
// through cpLength / cpAdvance. An operation is kept in MeshOT's normal form: no empty
// components, neighbours of one kind merged, an insert before an adjacent delete. Components
// are held in the compact wire form: n > 0 retains, n < 0 deletes, a string inserts.
//
// Proven against the Swift implementation by Tests/web/ot.test.mjs, which replays the
// scenarios MeshOTTests/OTFixtureTests.swift generates (Tests/Fixtures/ot-scenarios.json).

/** The most code points an operation read from a peer may span (TextOperation.lengthLimit). */
export const LENGTH_LIMIT = 2 ** 32;

const SURROGATE = /[\uD800-\uDFFF]/;

/** An error of the OT core, with MeshOT's kinds: `baseLengthMismatch`, `invalidEncoding`,
 *  `unexpectedRevision`, `unexpectedAck`. */
export class OTError extends Error {
  constructor(kind, message, details = {}) {
    super(message);
    this.name = 'OTError';
    this.kind = kind;
    Object.assign(this, details);
  }

  static mismatch(expected, actual) {
    return new OTError('baseLengthMismatch',
      `operation expects a text of ${expected} characters but the text has ${actual}`, { expected, actual });
  }
}

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
function cpDrop(text, n) {
  return text.slice(cpAdvance(text, 0, n));
}

/** The first `n` code points of `text`. */
function cpPrefix(text, n) {
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

/** A change to a text: retain / insert / delete components counted in code points. */
export class TextOperation {
  constructor() {
    /** The components in compact form, normalised. */
    this.ops = [];
    /** The length (code points) of the text this operation applies to. */
    this.baseLength = 0;
    /** The length (code points) of the text it produces. */
    this.targetLength = 0;
  }

  /** An operation from components in compact form, normalised as they are appended (no
   *  validation: see `fromJSON` for what a peer sends). */
  static of(components) {
    const op = new TextOperation();
    for (const c of components) op.append(c);
    return op;
  }

  /** The identity operation on a text of `length` code points. */
  static identity(length) {
    return new TextOperation().retain(length);
  }

  /** Replaces code points [from, to) of a text of `length` code points with `text`. */
  static replacing(from, to, text, length) {
    return new TextOperation().retain(from).insert(text).delete(to - from).retain(length - to);
  }

  /** True when applying the operation leaves every text unchanged. */
  get isNoop() {
    return this.ops.every((c) => typeof c === 'number' && c > 0);
  }

  /** Appends one compact component, keeping normal form. */
  append(component) {
    if (typeof component === 'string') return this.insert(component);
    if (component > 0) return this.retain(component);
    if (component < 0) return this.delete(-component);
    return this;
  }

  /** Keeps the next `n` code points. */
  retain(n) {
    if (!(n >= 0)) throw new RangeError('retain count must not be negative');
    if (n === 0) return this;
    this.baseLength += n;
    this.targetLength += n;
    const last = this.ops.length - 1;
    if (last >= 0 && typeof this.ops[last] === 'number' && this.ops[last] > 0) this.ops[last] += n;
    else this.ops.push(n);
    return this;
  }

  /** Inserts `text` at the current position. */
  insert(text) {
    if (text === '') return this;
    this.targetLength += cpLength(text);
    const ops = this.ops;
    const count = ops.length;
    const last = ops[count - 1];
    if (typeof last === 'string') {
      ops[count - 1] = last + text;
    } else if (typeof last === 'number' && last < 0) {
      // Normal form: an insert goes before an adjacent delete.
      if (count >= 2 && typeof ops[count - 2] === 'string') {
        ops[count - 2] += text;
      } else {
        ops[count - 1] = text;
        ops.push(last);
      }
    } else {
      ops.push(text);
    }
    return this;
  }

  /** Removes the next `n` code points. */
  delete(n) {
    if (!(n >= 0)) throw new RangeError('delete count must not be negative');
    if (n === 0) return this;
    this.baseLength += n;
    const last = this.ops.length - 1;
    if (last >= 0 && typeof this.ops[last] === 'number' && this.ops[last] < 0) this.ops[last] -= n;
    else this.ops.push(-n);
    return this;
  }

  /** Whether `other` has the same components (normal form makes that "the same effect"). */
  equals(other) {
    if (this.ops.length !== other.ops.length) return false;
    for (let i = 0; i < this.ops.length; i++) if (this.ops[i] !== other.ops[i]) return false;
    return true;
  }

  /** The compact JSON form, `[5, "abc", -3]`. */
  toJSON() {
    return this.ops.slice();
  }

  toString() {
    return '[' + this.ops.map((c) => (typeof c === 'string' ? `insert ${JSON.stringify(c)}`
      : c > 0 ? `retain ${c}` : `delete ${-c}`)).join(', ') + ']';
  }

  /** An operation from its compact JSON form, checked as MeshOT checks a peer's
   *  (`appendCompact`): integers other than 0, non-empty strings, nothing longer than
   *  LENGTH_LIMIT. Throws OTError(`invalidEncoding`). */
  static fromJSON(value) {
    if (!Array.isArray(value)) throw new OTError('invalidEncoding', 'an operation must be an array');
    const op = new TextOperation();
    const tooLong = `an operation may span at most ${LENGTH_LIMIT} characters`;
    for (const c of value) {
      if (typeof c === 'number') {
        if (!Number.isInteger(c)) throw new OTError('invalidEncoding', 'an operation component must be an integer or a string');
        if (c === 0) throw new OTError('invalidEncoding', 'a component of 0 is not allowed');
        const size = Math.abs(c);
        if (size > LENGTH_LIMIT || op.baseLength + size > LENGTH_LIMIT
            || (c > 0 && op.targetLength + c > LENGTH_LIMIT)) throw new OTError('invalidEncoding', tooLong);
        if (c > 0) op.retain(c); else op.delete(-c);
      } else if (typeof c === 'string') {
        if (c === '') throw new OTError('invalidEncoding', 'an empty insert is not allowed');
        if (op.targetLength + cpLength(c) > LENGTH_LIMIT) throw new OTError('invalidEncoding', tooLong);
        op.insert(c);
      } else {
        throw new OTError('invalidEncoding', 'an operation component must be an integer or a string');
      }
    }
    return op;
  }

  /** Applies the operation to `text`, returning the new text. Throws on a length mismatch. */
  apply(text) {
    if (isBMP(text)) {
      if (text.length !== this.baseLength) throw OTError.mismatch(this.baseLength, text.length);
      const parts = [];
      let index = 0;
      for (const c of this.ops) {
        if (typeof c === 'string') parts.push(c);
        else if (c > 0) { parts.push(text.slice(index, index + c)); index += c; }
        else index -= c;
      }
      return parts.join('');
    }
    const length = cpLength(text);
    if (length !== this.baseLength) throw OTError.mismatch(this.baseLength, length);
    const parts = [];
    let index = 0;
    for (const c of this.ops) {
      if (typeof c === 'string') {
        parts.push(c);
      } else if (c > 0) {
        const end = cpAdvance(text, index, c);
        parts.push(text.slice(index, end));
        index = end;
      } else {
        index = cpAdvance(text, index, -c);
      }
    }
    return parts.join('');
  }

  /** The single operation with the effect of `this` then `next` (MeshOT's `compose`). */
  compose(next) {
    if (this.targetLength !== next.baseLength) throw OTError.mismatch(next.baseLength, this.targetLength);
    const result = new TextOperation();
    ComponentCursor.walk(this, next, (x, y, a, b) => {
      if (typeof x === 'number' && x < 0) {            // (.delete, _)
        result.delete(-x);
        a.advance();
      } else if (typeof y === 'string') {               // (_, .insert)
        result.insert(y);
        b.advance();
      } else if (x === undefined || y === undefined) {
        throw new Error('compose ran off the end of an operation');
      } else if (typeof x === 'number') {              // x retains
        const k = Math.min(x, Math.abs(y));
        if (y > 0) result.retain(k); else result.delete(k);
        a.consume(k);
        b.consume(k);
      } else {                                          // x inserts
        const length = cpLength(x);
        const k = Math.min(length, Math.abs(y));
        if (y > 0) result.insert(k === length ? x : cpPrefix(x, k));
        a.consume(k);
        b.consume(k);
      }
    });
    return result;
  }

  /** Transforms two concurrent operations on one text into `[left′, right′]` with
   *  `right′(left(t)) == left′(right(t))` (TP1). Same-position inserts are ordered by
   *  `priority` ('left' or 'right'); Mesh gives the in-flight client operation, the left one,
   *  priority on every side. */
  static transform(left, right, priority = 'left') {
    if (left.baseLength !== right.baseLength) throw OTError.mismatch(left.baseLength, right.baseLength);
    const leftPrime = new TextOperation();
    const rightPrime = new TextOperation();
    ComponentCursor.walk(left, right, (x, y, a, b) => {
      if (typeof x === 'string' && (priority === 'left' || typeof y !== 'string')) {
        leftPrime.insert(x);
        rightPrime.retain(cpLength(x));
        a.advance();
      } else if (typeof y === 'string') {
        leftPrime.retain(cpLength(y));
        rightPrime.insert(y);
        b.advance();
      } else if (x === undefined || y === undefined || typeof x === 'string') {
        throw new Error('transform ran off the end of an operation');
      } else {
        const k = Math.min(Math.abs(x), Math.abs(y));
        if (x > 0 && y > 0) { leftPrime.retain(k); rightPrime.retain(k); }
        else if (x < 0 && y > 0) leftPrime.delete(k);
        else if (x > 0 && y < 0) rightPrime.delete(k);
        // both delete: nothing is left to do for either
        a.consume(k);
        b.consume(k);
      }
    });
    return [leftPrime, rightPrime];
  }

  /** `this` rewritten to apply after the concurrent `other` (`this` keeps insert priority). */
  transformedAgainst(other, priority = 'left') {
    return TextOperation.transform(this, other, priority)[0];
  }

  /** The operation that undoes `this`, applied to the text `this` produced from `base`. */
  invert(base) {
    const length = cpLength(base);
    if (length !== this.baseLength) throw OTError.mismatch(this.baseLength, length);
    const inverse = new TextOperation();
    let index = 0;
    for (const c of this.ops) {
      if (typeof c === 'string') {
        inverse.delete(cpLength(c));
      } else if (c > 0) {
        inverse.retain(c);
        index = cpAdvance(base, index, c);
      } else {
        const end = cpAdvance(base, index, -c);
        inverse.insert(base.slice(index, end));
        index = end;
      }
    }
    return inverse;
  }

  /** Where code point `offset` of the base text lands in the text this operation produces
   *  (MeshOT's `transform(offset:stickiness:)`). With 'before', text inserted exactly at the
   *  offset goes after it; with 'after' (a caret while typing), before it. A position inside
   *  deleted text lands where the deletion happened. */
  transformOffset(offset, stickiness) {
    let remaining = offset;
    let result = offset;
    for (const c of this.ops) {
      if (typeof c === 'string') {
        if (remaining > 0 || stickiness === 'after') result += cpLength(c);
      } else if (c > 0) {
        if (remaining < c) return result;
        remaining -= c;
      } else {
        const n = -c;
        const removed = Math.min(remaining, n);
        result -= removed;
        remaining -= removed;
        if (remaining === 0 && n > removed) return result;
      }
    }
    return result;
  }

  /** Selection ranges `{anchor, head}` moved through the operation (MeshOT's
   *  `Selection.transformed(by:)`): a caret sticks after inserted text; a range's start sticks
   *  after and its end before, so it does not swallow text typed at its edges. */
  transformSelection(ranges) {
    return ranges.map(({ anchor, head }) => {
      if (anchor === head) {
        const at = this.transformOffset(head, 'after');
        return { anchor: at, head: at };
      }
      const forward = anchor <= head;
      const low = this.transformOffset(Math.min(anchor, head), 'after');
      const high = Math.max(low, this.transformOffset(Math.max(anchor, head), 'before'));
      return forward ? { anchor: low, head: high } : { anchor: high, head: low };
    });
  }
}

/** Walks an operation's components, letting compose and transform consume part of one. */
class ComponentCursor {
  /** Walks `first` and `second` side by side until both end: `step(x, y, a, b)` gets the current
   *  component of each (undefined past its end) and must move their cursors `a`, `b` on. */
  static walk(first, second, step) {
    const a = new ComponentCursor(first);
    const b = new ComponentCursor(second);
    while (a.current !== undefined || b.current !== undefined) step(a.current, b.current, a, b);
  }

  constructor(op) {
    this.components = op.ops;
    this.index = 0;
    this.current = this.components[0];
  }

  advance() {
    this.index += 1;
    this.current = this.components[this.index];
  }

  /** Consumes `n` code points of the current component (its whole length or less). */
  consume(n) {
    const c = this.current;
    if (c === undefined) return;
    if (typeof c === 'string') {
      const rest = cpDrop(c, n);
      if (rest === '') this.advance(); else this.current = rest;
    } else if (c > 0) {
      if (c === n) this.advance(); else this.current = c - n;
    } else if (-c === n) {
      this.advance();
    } else {
      this.current = c + n;
    }
  }
}

/** The operation turning `oldText` into `newText` by one replacement between their common
 *  beginning and end (never splitting a surrogate pair). */
export function replacementBetween(oldText, newText) {
  const [start, oldEnd, newEnd] = changedRange(oldText, newText);
  const op = new TextOperation();
  op.retain(unitsToCp(oldText, start));
  op.insert(newText.slice(start, newEnd));
  op.delete(cpLength(oldText.slice(start, oldEnd)));
  op.retain(cpLength(oldText.slice(oldEnd)));
  return op;
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

/** MeshProtocol's DocumentHash: FNV-1a 64 over the UTF-8 text, 16 lowercase hex digits. */
export function documentHash(text) {
  const bytes = new TextEncoder().encode(text);
  // 64-bit arithmetic in two 32-bit halves: h * 0x100000001b3 = h * 0x1b3 + (h << 40).
  let hi = 0xcbf29ce4;
  let lo = 0x84222325;
  for (let i = 0; i < bytes.length; i++) {
    lo = (lo ^ bytes[i]) >>> 0;
    const loMul = lo * 0x1b3;
    const carry = Math.floor(loMul / 0x100000000);
    const newLo = loMul >>> 0;
    hi = (hi * 0x1b3 + carry + ((lo & 0xffffff) << 8 >>> 0)) >>> 0;
    lo = newLo;
  }
  return hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');
}

/** MeshLSP's colour index (0–7) of a user id: FNV-1a 32 over its code points. */
export function colorIndex(user) {
  let h = 2166136261;
  for (const ch of user) h = Math.imul((h ^ ch.codePointAt(0)) >>> 0, 16777619) >>> 0;
  return h % 8;
}
