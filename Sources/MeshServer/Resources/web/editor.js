// The code editor: a <textarea> for input (native caret, selection, IME, clipboard) over layers
// that show what the textarea's transparent text cannot: highlighted lines, line numbers, the
// others' cursors and selections with their names, annotated ranges. Only the visible lines are
// rendered, so a 1 MB document costs what a screenful does.
//
// Typing is read from `input` events as the difference between the textarea's value and the
// text it showed (text.js), turned into a TextOperation and handed to the SharedDocument; remote
// operations become textarea edits (setRangeText) with our selection moved through them. During
// an IME composition nothing is sent and remote edits wait, composed, until it ends.
import { h } from './dom.js';
import { TextOperation } from './ot.js';
import { DisplayText, operationFromInput, displayEdits, lineStarts, lineOf } from './text.js';
import { languageOf, LineStates } from './highlight.js';
import { EditorView } from './editorview.js';

/** The editor; its rendering and scrolling are EditorView's (editorview.js). */
export class Editor extends EditorView {
  /** `onCursor(selections)` hears our selection (code points) whenever it changes. */
  constructor(container) {
    super();
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
}
