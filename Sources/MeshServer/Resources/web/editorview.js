// How the editor (editor.js) shows its document over the transparent textarea: only the visible
// lines are rendered, highlighted (highlight.js), with line numbers, breakpoints and the line
// the debugged program is stopped at in the gutter, and the others' cursors and selections with
// their names and the annotated ranges as marks; and the scrolling that brings an offset or a
// line into view. Everything goes in as elements and text nodes (dom.js).
import { h, COLORS } from './dom.js';
import { colorIndex } from './hash.js';
import { lineOf, expandTabs } from './text.js';
import { tokenizeLine } from './highlight.js';

const PAD_X = 8;
const PAD_Y = 6;
const OVERSCAN = 4;

/** The rendering half of `Editor`, which extends it: these methods read the state the editor
 *  keeps (`input`, `shown`, `starts`, `states`, `language`, `doc`, the gutter's breakpoints and
 *  execution line) and draw into its layers (`gutter`, `lines`, `marks`). */
export class EditorView {
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
