// The code editor: a <textarea> for input (native caret, selection, IME, clipboard) over layers
// that show what the textarea's transparent text cannot: highlighted lines, line numbers, the
// others' cursors and selections with their names, annotated ranges. Only the visible lines are
// rendered, so a 1 MB document costs what a screenful does.
//
// Typing is read from `input` events as the difference between the textarea's value and the
// text it showed (text.js), turned into a TextOperation and handed to the SharedDocument; remote
// operations become textarea edits (setRangeText) with our selection moved through them. During
// an IME composition nothing is sent and remote edits wait, composed, until it ends.
import { h, COLORS } from './dom.js';
import { TextOperation } from './ot.js';
import { colorIndex } from './hash.js';
import { DisplayText, operationFromInput, displayEdits, lineStarts, lineOf, expandTabs } from './text.js';
import { tokenizeLine, languageOf, LineStates } from './highlight.js';

const PAD_X = 8;
const PAD_Y = 6;
const OVERSCAN = 4;

export class Editor {
  /** `onCursor(selections)` hears our selection (code points) whenever it changes. */
  constructor(container) {
    this.container = container;
    this.doc = null;
    this.shown = new DisplayText('');
    this.starts = [0];
    this.states = new LineStates(null);
    this.language = null;
    this.composing = false;
    this.heldRemote = null;       // remote edits composed while an IME composition runs
    this.frame = 0;
    this.unsubscribe = [];
    this.lastSelection = '';
    /** Breakpoints shown in the gutter: 0-based line → verified (bool). */
    this.breakpointLines = new Map();
    /** The 0-based line where the debugged program is stopped, or null. */
    this.executionLine = null;
    /** `onGutterClick(line)` (0-based): the page toggles a breakpoint. */
    this.onGutterClick = null;

    this.gutter = h('div', { class: 'gutter', 'aria-hidden': 'true' });
    this.lines = h('div', { class: 'layer lines', 'aria-hidden': 'true' });
    this.marks = h('div', { class: 'layer marks', 'aria-hidden': 'true' });
    this.input = h('textarea', {
      class: 'input', spellcheck: 'false', autocapitalize: 'off', autocomplete: 'off', wrap: 'off',
      'aria-label': 'Document text', 'data-gramm': 'false',
    });
    this.code = h('div', { class: 'code' }, this.lines, this.marks, this.input);
    this.root = h('div', { class: 'editor' }, this.gutter, this.code);
    container.appendChild(this.root);

    this.gutter.addEventListener('click', (event) => {
      const number = event.target.closest?.('.number');
      if (number && this.onGutterClick) this.onGutterClick(Number(number.dataset.line));
    });
    this.input.addEventListener('input', () => this.typed());
    this.input.addEventListener('beforeinput', () => { this.hint = Math.min(this.input.selectionStart, this.input.selectionEnd); });
    this.input.addEventListener('compositionstart', () => { this.composing = true; });
    this.input.addEventListener('compositionend', () => { this.composing = false; this.typed(); });
    this.input.addEventListener('scroll', () => this.schedule());
    this.input.addEventListener('keydown', (event) => this.keydown(event));
    this.onSelectionChange = () => { if (document.activeElement === this.input) this.selectionMoved(); };
    document.addEventListener('selectionchange', this.onSelectionChange);
    this.input.addEventListener('mouseup', () => this.selectionMoved());
    this.input.addEventListener('keyup', () => this.selectionMoved());
    this.resizeObserver = new ResizeObserver(() => this.schedule());
    this.resizeObserver.observe(this.code);
    this.measureCanvas = document.createElement('canvas').getContext('2d');
  }

  destroy() {
    this.detach();
    document.removeEventListener('selectionchange', this.onSelectionChange);
    this.resizeObserver.disconnect();
    cancelAnimationFrame(this.frame);
    this.root.remove();
  }

  /** Shows (and edits) a SharedDocument that is open. */
  attach(doc) {
    this.detach();
    this.doc = doc;
    this.language = languageOf(doc.path);
    this.reset(doc.text);
    this.unsubscribe = [
      doc.on('change', (op, origin) => this.changed(op, origin)),
      doc.on('presence', () => this.schedule()),
      doc.on('annotations', () => this.schedule()),
      doc.on('state', () => this.updateReadOnly()),
    ];
    this.updateReadOnly();
    this.input.scrollTop = 0;
    this.input.scrollLeft = 0;
    this.input.setSelectionRange(0, 0);
    this.schedule();
  }

  detach() {
    for (const off of this.unsubscribe) off();
    this.unsubscribe = [];
    this.doc = null;
    this.heldRemote = null;
    // Read-only until the next document is attached: typing meanwhile would go nowhere.
    this.updateReadOnly();
  }

  focus() { this.input.focus(); }

  updateReadOnly() {
    const readOnly = !this.doc || this.doc.readOnly || this.doc.state !== 'open';
    this.input.readOnly = readOnly;
    this.root.classList.toggle('read-only', readOnly);
  }

  reset(text) {
    this.shown = new DisplayText(text);
    this.input.value = this.shown.display;
    this.starts = lineStarts(this.shown.display);
    this.states = new LineStates(this.language);
    this.states.edited(0, 0, this.starts.length - 1);
  }

  // MARK: Local input

  typed() {
    if (!this.doc || this.composing) return;
    const value = this.input.value;
    if (value === this.shown.display) return;
    if (this.input.readOnly) { this.restore(); return; }
    const hint = Math.min(this.hint ?? 0, this.input.selectionStart);
    this.hint = undefined;
    const op = operationFromInput(this.shown, value, hint);
    const held = this.heldRemote;
    this.heldRemote = null;
    if (held === null) {
      this.doc.edit(op);      // → changed(op, 'local')
      return;
    }
    // Remote edits arrived during the composition: the typing and they are concurrent. The
    // typing goes to the document transformed; the textarea is then set to the document whole.
    const [mine, theirs] = TextOperation.transform(op, held, 'left');
    const typed = new DisplayText(op.apply(this.shown.text));
    const selection = [typed.cpOfDisplay(this.input.selectionStart), typed.cpOfDisplay(this.input.selectionEnd)];
    this.bulk = true;
    try { this.doc.edit(mine); } finally { this.bulk = false; }
    const { scrollTop, scrollLeft } = this.input;
    this.reset(this.doc.text);
    const [a, b] = selection.map((o) => this.shown.displayOf(theirs.transformOffset(o, 'before')));
    this.input.setSelectionRange(a, b);
    this.input.scrollTop = scrollTop;
    this.input.scrollLeft = scrollLeft;
    this.selectionMoved();
    this.schedule();
  }

  keydown(event) {
    if (event.key === 'Tab' && !event.ctrlKey && !event.metaKey && !event.altKey && !this.input.readOnly) {
      event.preventDefault();
      const { selectionStart: start, selectionEnd: end } = this.input;
      this.hint = start;
      this.input.setRangeText('\t', start, end, 'end');
      this.typed();
    }
  }

  /** The textarea back to the document's text (an edit of a read-only view). */
  restore() {
    const at = this.input.selectionStart;
    this.input.value = this.shown.display;
    this.input.setSelectionRange(Math.min(at, this.shown.display.length), Math.min(at, this.shown.display.length));
  }

  selectionCp() {
    return [this.shown.cpOfDisplay(this.input.selectionStart), this.shown.cpOfDisplay(this.input.selectionEnd)];
  }

  selectionMoved() {
    if (!this.doc || this.composing) return;
    const [start, end] = this.selectionCp();
    const backward = this.input.selectionDirection === 'backward';
    const key = `${start}:${end}:${backward}`;
    if (key === this.lastSelection) return;
    this.lastSelection = key;
    this.doc.setSelection([backward ? { anchor: end, head: start } : { anchor: start, head: end }]);
    this.schedule();
  }

  // MARK: Document changes

  changed(op, origin) {
    if (this.bulk) return;
    if (origin === 'local') {
      // The textarea already shows it (unless the typed text had to be cleaned).
      const next = new DisplayText(this.doc.text);
      this.noteLines(op, this.shown, next);
      this.shown = next;
      if (this.input.value !== next.display) this.restore();
      this.selectionMoved();
      this.schedule();
      return;
    }
    if (this.composing) {
      this.heldRemote = this.heldRemote === null ? op : this.heldRemote.compose(op);
      return;
    }
    const selection = this.selectionCp().map((o) => op.transformOffset(o, 'before'));
    this.applyToTextarea(op, this.shown, selection);
  }

  /** Applies a document operation to the textarea, which shows `shown`, with our selection
   *  (code points of the new text) kept. */
  applyToTextarea(op, shown, selection) {
    const next = new DisplayText(this.doc.text);
    const edits = displayEdits(op, shown, next);
    const { scrollTop, scrollLeft } = this.input;
    const backward = this.input.selectionDirection === 'backward';
    for (const [from, to, text] of edits.slice().reverse()) this.input.setRangeText(text, from, to);
    if (this.input.value !== next.display) this.input.value = next.display;
    this.noteLines(op, shown, next, edits);
    this.shown = next;
    const [a, b] = selection.map((o) => next.displayOf(o));
    this.input.setSelectionRange(Math.min(a, b), Math.max(a, b), backward ? 'backward' : 'forward');
    this.input.scrollTop = scrollTop;
    this.input.scrollLeft = scrollLeft;
    this.schedule();
  }

  /** Keeps the line starts and the highlighter's line states current across an edit. */
  noteLines(op, before, next, edits = displayEdits(op, before, next)) {
    const oldStarts = this.starts;
    this.starts = lineStarts(next.display);
    if (edits.length === 0) return;
    const from = edits[0][0];
    const oldEnd = edits[edits.length - 1][1];
    const delta = edits.reduce((sum, [f, t, text]) => sum + text.length - (t - f), 0);
    const fromLine = lineOf(oldStarts, from);
    const removed = lineOf(oldStarts, oldEnd) - fromLine;
    const added = lineOf(this.starts, oldEnd + delta) - fromLine;
    this.states.edited(fromLine, removed, added);
  }

  // MARK: Following

  /** Scrolls so that code point `offset` is in view (near the middle). */
  reveal(offset) {
    const display = this.shown.displayOf(offset);
    const line = lineOf(this.starts, display);
    const lineHeight = this.lineHeight();
    const top = PAD_Y + line * lineHeight;
    const view = this.input.clientHeight;
    if (top < this.input.scrollTop || top + lineHeight > this.input.scrollTop + view) {
      this.input.scrollTop = Math.max(0, top - view / 2);
    }
    const x = this.columnX(line, display - this.starts[line]);
    if (x < this.input.scrollLeft || x > this.input.scrollLeft + this.input.clientWidth - 40) {
      this.input.scrollLeft = Math.max(0, x - this.input.clientWidth / 2);
    }
    this.schedule();
  }

  /** Scrolls so that 0-based `line` is in view (near the middle). */
  revealLine(line) {
    const lineHeight = this.lineHeight();
    const top = PAD_Y + Math.max(0, Math.min(line, this.starts.length - 1)) * lineHeight;
    const view = this.input.clientHeight;
    if (top < this.input.scrollTop || top + lineHeight > this.input.scrollTop + view) {
      this.input.scrollTop = Math.max(0, top - view / 2);
    }
    this.schedule();
  }

  // MARK: Debugging

  /** The breakpoints of the shown document: a Map of 0-based line → verified. */
  setBreakpoints(lines) {
    this.breakpointLines = lines;
    this.schedule();
  }

  /** Highlights the 0-based line where the program is stopped (null: none). */
  setExecutionLine(line) {
    this.executionLine = line;
    this.schedule();
  }

  // MARK: Rendering

  schedule() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => { this.frame = 0; this.render(); });
  }

  lineHeight() {
    if (!this.cachedLineHeight) {
      const style = getComputedStyle(this.input);
      this.cachedLineHeight = Number.parseFloat(style.lineHeight) || 20;
      this.measureCanvas.font = `${style.fontSize} ${style.fontFamily}`;
      this.charWidth = this.measureCanvas.measureText('0000000000').width / 10;
    }
    return this.cachedLineHeight;
  }

  lineText(i) {
    const end = i + 1 < this.starts.length ? this.starts[i + 1] - 1 : this.shown.display.length;
    return this.shown.display.slice(this.starts[i], end);
  }

  /** Pixel x (in the text, before scrolling) of display column `column` of line `line`. */
  columnX(line, column) {
    this.lineHeight();
    const prefix = expandTabs(this.lineText(line).slice(0, column));
    // Printable ASCII is one cell each in a monospace font; anything else is measured.
    const width = /^[\x20-\x7e]*$/.test(prefix) ? prefix.length * this.charWidth : this.measureCanvas.measureText(prefix).width;
    return PAD_X + width;
  }

  render() {
    const lineHeight = this.lineHeight();
    const { scrollTop, scrollLeft, clientHeight } = this.input;
    const count = this.starts.length;
    const first = Math.max(0, Math.floor((scrollTop - PAD_Y) / lineHeight) - OVERSCAN);
    const last = Math.min(count - 1, Math.ceil((scrollTop + clientHeight) / lineHeight) + OVERSCAN);
    this.states.ensure(last, (i) => this.lineText(i));

    const lineNodes = [];
    const numberNodes = [];
    for (let i = first; i <= last; i++) {
      const text = this.lineText(i);
      const row = h('div', { class: 'line' });
      row.style.top = `${PAD_Y + i * lineHeight}px`;
      const { tokens } = tokenizeLine(this.language, text, this.states.stateOf(i));
      let at = 0;
      for (const [start, end, cls] of tokens) {
        if (start > at) row.appendChild(document.createTextNode(text.slice(at, start)));
        row.appendChild(h('span', { class: `t-${cls}` }, text.slice(start, end)));
        at = end;
      }
      if (at < text.length) row.appendChild(document.createTextNode(text.slice(at)));
      lineNodes.push(row);
      let numberClass = 'number';
      if (this.breakpointLines.has(i)) numberClass += this.breakpointLines.get(i) ? ' breakpoint' : ' breakpoint unverified';
      if (this.executionLine === i) numberClass += ' current';
      const number = h('div', { class: numberClass, 'data-line': i }, String(i + 1));
      number.style.top = `${PAD_Y + i * lineHeight}px`;
      numberNodes.push(number);
    }
    this.lines.replaceChildren(...lineNodes);
    this.gutter.replaceChildren(h('div', { class: 'numbers' }, numberNodes));
    const digits = String(count).length;
    this.gutter.style.width = `${digits + 3}ch`;
    this.gutter.firstChild.style.transform = `translateY(${-scrollTop}px)`;
    const shift = `translate(${-scrollLeft}px, ${-scrollTop}px)`;
    this.lines.style.transform = shift;
    this.marks.style.transform = shift;
    this.renderMarks(first, last, lineHeight);
  }

  /** The others' selections and cursors, and annotated ranges, on lines [first, last]. */
  renderMarks(first, last, lineHeight) {
    const nodes = [];
    if (this.executionLine !== null && this.executionLine >= first && this.executionLine <= last) {
      const box = h('div', { class: 'execution-line' });
      box.style.top = `${PAD_Y + this.executionLine * lineHeight}px`;
      box.style.height = `${lineHeight}px`;
      box.style.width = `${Math.max(this.input.scrollWidth, this.input.clientWidth)}px`;
      nodes.push(box);
    }
    if (this.doc) {
      for (const annotation of this.doc.annotations.values()) {
        if (annotation.resolved || annotation.parent) continue;
        this.rangeBoxes(annotation.from, annotation.to, first, last, lineHeight, 'annotated', null, nodes);
      }
      for (const peer of this.doc.presence.values()) {
        const color = COLORS[colorIndex(peer.user)];
        for (const { anchor, head } of peer.selections) {
          if (anchor !== head) this.rangeBoxes(Math.min(anchor, head), Math.max(anchor, head), first, last, lineHeight, 'peer-selection', color, nodes);
          const display = this.shown.displayOf(head);
          const line = lineOf(this.starts, display);
          if (line < first || line > last) continue;
          const caret = h('div', { class: 'peer-caret' });
          caret.style.left = `${this.columnX(line, display - this.starts[line])}px`;
          caret.style.top = `${PAD_Y + line * lineHeight}px`;
          caret.style.height = `${lineHeight}px`;
          caret.style.backgroundColor = color;
          const label = h('div', { class: 'peer-label' }, peer.name);
          label.style.backgroundColor = color;
          caret.appendChild(label);
          nodes.push(caret);
        }
      }
    }
    this.marks.replaceChildren(...nodes);
  }

  rangeBoxes(from, to, first, last, lineHeight, cls, color, nodes) {
    const start = this.shown.displayOf(from);
    const end = this.shown.displayOf(to);
    const startLine = Math.max(first, lineOf(this.starts, start));
    const endLine = Math.min(last, lineOf(this.starts, end));
    for (let line = startLine; line <= endLine; line++) {
      const lineStart = this.starts[line];
      const lineEnd = line + 1 < this.starts.length ? this.starts[line + 1] - 1 : this.shown.display.length;
      const a = Math.max(start, lineStart) - lineStart;
      const b = Math.min(end, lineEnd) - lineStart;
      const left = this.columnX(line, a);
      const right = line < endLine || end > lineEnd ? this.columnX(line, lineEnd - lineStart) + this.charWidth / 2 : this.columnX(line, b);
      if (right <= left && !(end > lineEnd)) continue;
      const box = h('div', { class: cls });
      box.style.left = `${left}px`;
      box.style.top = `${PAD_Y + line * lineHeight}px`;
      box.style.width = `${Math.max(2, right - left)}px`;
      box.style.height = `${lineHeight}px`;
      if (color) box.style.backgroundColor = color;
      nodes.push(box);
    }
  }
}
