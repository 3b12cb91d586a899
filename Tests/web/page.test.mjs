// What the shipped page may and may not do, checked on its files: the script index.html loads
// (every module it reaches) stays under the 300 KB budget; nothing is loaded from
// elsewhere; no inline script or style (the CSP forbids both); no module builds markup from
// strings or evaluates text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, dirname, normalize, relative } from 'node:path';
import { webRoot } from './support.mjs';

const BUDGET = 300 * 1024;

/** The modules index.html loads, following static and dynamic imports. */
function loadedModules() {
  const html = readFileSync(join(webRoot, 'index.html'), 'utf8');
  const entries = [...html.matchAll(/<script\b[^>]*\bsrc="([^"]+)"[^>]*>/g)].map((m) => m[1]);
  assert.ok(entries.length > 0, 'index.html loads a script');
  const seen = new Set();
  const queue = entries.map((src) => {
    assert.match(src, /^\/web\/[\w.-]+\.js$/, `${src}: scripts come from /web/ on this server`);
    return join(webRoot, src.slice('/web/'.length));
  });
  while (queue.length) {
    const file = queue.shift();
    if (seen.has(file)) continue;
    seen.add(file);
    const source = readFileSync(file, 'utf8');
    const specifiers = [
      ...source.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]/gm),
      ...source.matchAll(/^\s*import\s*['"]([^'"]+)['"]/gm),
      ...source.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g),
    ].map((m) => m[1]);
    for (const specifier of specifiers) {
      assert.match(specifier, /^\.\/[\w.-]+\.js$/, `${relative(webRoot, file)} imports ${specifier}: only sibling modules`);
      queue.push(normalize(join(dirname(file), specifier)));
    }
  }
  return [...seen];
}

test('the editor page loads under 300 KB of uncompressed script', () => {
  const modules = loadedModules();
  const total = modules.reduce((sum, file) => sum + statSync(file).size, 0);
  const names = modules.map((file) => relative(webRoot, file)).sort();
  assert.ok(names.includes('editor.js') && names.includes('client.js') && names.includes('ot.js'), names.join(', '));
  assert.ok(total < BUDGET, `${total} bytes of script (${names.join(', ')}) is over ${BUDGET}`);
  // Every shipped module is one the page loads (no dead files in the bundle).
  const shipped = readdirSync(webRoot).filter((n) => n.endsWith('.js')).sort();
  assert.deepEqual(shipped, names);
  console.log(`# page script: ${total} bytes in ${names.length} modules (budget ${BUDGET})`);
});

test('index.html: no inline script or style, nothing from another origin', () => {
  const html = readFileSync(join(webRoot, 'index.html'), 'utf8');
  assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'an inline <script>');
  assert.doesNotMatch(html, /<style\b/, 'an inline <style>');
  assert.doesNotMatch(html, /\sstyle=/, 'a style attribute');
  assert.doesNotMatch(html, /\son\w+=/, 'an inline event handler');
  assert.doesNotMatch(html, /(?:src|href)="(?:https?:)?\/\//, 'a resource from another origin');
});

test('no module builds markup from strings, evaluates text, or stores secrets', () => {
  const forbidden = [
    [/\.innerHTML\b/, 'innerHTML'], [/\.outerHTML\b/, 'outerHTML'], [/insertAdjacentHTML/, 'insertAdjacentHTML'],
    [/document\.write/, 'document.write'], [/\beval\s*\(/, 'eval'], [/new\s+Function\s*\(/, 'new Function'],
    [/createContextualFragment/, 'createContextualFragment'], [/DOMParser/, 'DOMParser'],
    [/setTimeout\(\s*['"`]/, 'setTimeout with a string'], [/localStorage/, 'localStorage (nothing is kept in the browser)'],
    [/setAttribute\(\s*['"]style['"]/, 'a style attribute (the CSP forbids inline styles)'],
    [/[?&](?:token|ticket|access_token)=/, 'a credential in a URL'],
  ];
  for (const name of readdirSync(webRoot).filter((n) => n.endsWith('.js'))) {
    const source = readFileSync(join(webRoot, name), 'utf8');
    for (const [pattern, what] of forbidden) assert.doesNotMatch(source, pattern, `${name} uses ${what}`);
  }
});
