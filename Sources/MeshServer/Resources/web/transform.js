// The component walks of TextOperation's `compose` and `transform` (ot.js), MeshOT's rules line
// for line: they fill the empty operations ot.js hands them, which checks the lengths first.
// Counts are code points.
import { cpLength, cpDrop, cpPrefix } from './codepoints.js';

/** `first` then `next` as one operation, appended to `result` (empty); `first.targetLength`
 *  is `next.baseLength`. */
export function composeInto(result, first, next) {
  ComponentCursor.walk(first, next, (x, y, a, b) => {
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

/** `left` and `right` (concurrent, on one text) transformed into `leftPrime` and `rightPrime`
 *  (empty), inserts at one position ordered by `priority`. */
export function transformInto(leftPrime, rightPrime, left, right, priority) {
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
