// The operational-transform core of the browser client: MeshOT's `TextOperation` rules, line
// for line (Sources/MeshOT/Operation). Offsets and lengths count Unicode code points (scalars),
// as MeshOT and the wire do; JavaScript strings count UTF-16 units, so every count here goes
// through cpLength / cpAdvance (codepoints.js). An operation is kept in MeshOT's normal form: no
// empty components, neighbours of one kind merged, an insert before an adjacent delete.
// Components are held in the compact wire form: n > 0 retains, n < 0 deletes, a string
// inserts. The component walks of `compose` and `transform` are in transform.js.
//
// Proven against the Swift implementation by Tests/web/ot.test.mjs, which replays the
// scenarios MeshOTTests/OTFixtureTests.swift generates (Tests/Fixtures/ot-scenarios.json).
import { isBMP, cpLength, cpAdvance, unitsToCp, changedRange } from './codepoints.js';
import { composeInto, transformInto } from './transform.js';

/** The most code points an operation read from a peer may span (TextOperation.lengthLimit). */
export const LENGTH_LIMIT = 2 ** 32;

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
    return composeInto(new TextOperation(), this, next);
  }

  /** Transforms two concurrent operations on one text into `[left′, right′]` with
   *  `right′(left(t)) == left′(right(t))` (TP1). Same-position inserts are ordered by
   *  `priority` ('left' or 'right'); Mesh gives the in-flight client operation, the left one,
   *  priority on every side. */
  static transform(left, right, priority = 'left') {
    if (left.baseLength !== right.baseLength) throw OTError.mismatch(left.baseLength, right.baseLength);
    return transformInto(new TextOperation(), new TextOperation(), left, right, priority);
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
