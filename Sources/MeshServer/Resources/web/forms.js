// What the pages (app.js, people.js) build with: a status or error message, the text of an
// error, a form that shows its own errors, a labelled field, and a copy button. Everything is
// built from elements and text nodes (dom.js).
import { h, replace } from './dom.js';
import { ApiError } from './api.js';

export function message(text, kind = 'error') {
  return h('p', { class: `message ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
}

export function describe(error) {
  if (error instanceof ApiError) return error.message;
  return `Something went wrong: ${error?.message ?? error}`;
}

/** A form whose submit handler shows errors in the form. */
export function form(fields, submitLabel, onSubmit, extra = {}) {
  const status = h('div', { class: 'form-status' });
  const button = h('button', { type: 'submit' }, submitLabel);
  const element = h('form', { class: extra.class ?? 'card form', novalidate: true }, fields, button, status);
  element.addEventListener('submit', async (event) => {
    event.preventDefault();
    button.disabled = true;
    replace(status);
    try {
      const result = await onSubmit(new FormData(element));
      if (typeof result === 'string') replace(status, message(result, 'ok'));
    } catch (error) {
      replace(status, message(describe(error)));
    } finally {
      button.disabled = false;
    }
  });
  return element;
}

export function field(label, name, attributes = {}) {
  return h('label', { class: 'field' }, h('span', {}, label), h('input', { name, ...attributes }));
}

export function copyButton(text, label = 'Copy') {
  const button = h('button', {
    type: 'button', class: 'link',
    onclick: async () => {
      try {
        await navigator.clipboard.writeText(text);
        button.textContent = 'Copied';
      } catch {
        button.textContent = 'Select and copy it';
      }
      setTimeout(() => { button.textContent = label; }, 1500);
    },
  }, label);
  return button;
}
