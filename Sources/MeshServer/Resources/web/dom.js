// DOM building without HTML strings: every piece of text goes in through textContent or a text
// node, so names, chat messages, file contents and annotation bodies can never become markup.
// (Tests/web/safety.test.mjs checks that no module uses innerHTML and the like.)

/** `h('div', {class: 'x', onclick: fn, title: 'y'}, child, 'text', [more])`. Attributes are set
 *  with setAttribute (never `style`: the CSP forbids inline styles; use element.style). */
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'class') element.className = value;
    else if (key === 'text') element.textContent = value;
    else if (key.startsWith('on') && typeof value === 'function') element.addEventListener(key.slice(2), value);
    else if (key === 'value') element.value = value;
    else if (key === 'checked' || key === 'disabled' || key === 'readOnly' || key === 'selected') element[key] = Boolean(value);
    else if (key === 'style' || key === 'innerHTML' || key === 'outerHTML') throw new Error(`h(): ${key} is not allowed`);
    else element.setAttribute(key, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(element, child);
    else if (typeof child === 'string' || typeof child === 'number') element.appendChild(document.createTextNode(String(child)));
    else element.appendChild(child);
  }
}

/** Replaces an element's children. */
export function replace(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

/** The participant colours (editors/nvim's palette), by colorIndex. */
export const COLORS = ['#e06c75', '#98c379', '#e5c07b', '#61afef', '#c678dd', '#56b6c2', '#d19a66', '#ff79c6'];

/** A short, readable time of an ISO-8601 string. */
export function timeOf(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? '' : date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}
