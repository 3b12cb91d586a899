"""Tests/web/browser_test.py's steps after the typing, and the page scripts and Neovim Lua it runs.

Named cursors both ways, chat and an annotation with hostile text, markup typed in Neovim,
follow, viewers (read-only page, a raw op refused, Neovim's edit undone), a 1 MB document.
"""
from __future__ import annotations

import time

from web_fixture import Failure, editor_text, fill, wait

HOSTILE = '<img src=x onerror="window.pwned=1">'
LINES = {"a": "// ada:", "b": "// bob:", "n": "// nvim:"}

# Inserts `token` into the line that starts with `prefix`, at a token boundary picked by `f`:
# typed in insert mode (`keys`) or with nvim_buf_set_text.
NVIM_INSERT = r"""
local prefix, token, f, how = ...
local lines = vim.api.nvim_buf_get_lines(0, 0, -1, true)
for row, line in ipairs(lines) do
  if line:sub(1, #prefix) == prefix then
    local blocked, columns = {}, {}
    for s, e in line:gmatch('()~[abn]%d+~()') do for b = s, e - 2 do blocked[b] = true end end
    for col = #prefix, #line do if not blocked[col] then table.insert(columns, col) end end
    local col = columns[math.min(#columns, math.floor(f * #columns) + 1)]
    if how == 'keys' then
      local command = 'i'
      if col == #line then col = #line - 1; command = 'a' end
      vim.api.nvim_win_set_cursor(0, { row, col })
      vim.api.nvim_feedkeys(vim.api.nvim_replace_termcodes(command .. token .. '<Esc>', true, true, true), 'nx', false)
    else
      vim.api.nvim_buf_set_text(0, row - 1, col, row - 1, col, { token })
    end
    return col
  end
end
error('no line ' .. prefix)
"""

# Puts the caret of the page's editor at a token boundary of the line starting with `prefix`.
BROWSER_CARET = r"""
const [prefix, f] = arguments;
const t = document.querySelector('textarea.input');
const text = t.value;
const start = text.startsWith(prefix) ? 0 : text.indexOf('\n' + prefix) + 1;
if (start === 0 && !text.startsWith(prefix)) return -1;
let end = text.indexOf('\n', start); if (end < 0) end = text.length;
const line = text.slice(start, end);
const blocked = new Set();
for (const m of line.matchAll(/~[abn]\d+~/g)) for (let b = m.index + 1; b < m.index + m[0].length; b++) blocked.add(b);
const columns = [];
for (let c = prefix.length; c <= line.length; c++) if (!blocked.has(c)) columns.push(c);
const at = start + columns[Math.min(columns.length - 1, Math.floor(f * columns.length))];
t.focus();
t.setSelectionRange(at, at);
return at;
"""


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


class SessionChecks:
    """The steps after the typing: a base of browser_test.Scenario, whose browsers, Neovim, accounts
    and session (ada, bob, cy, nvim, base, session_url, session_id) and helpers (shot, labels,
    server_text) they use."""

    def cursors(self) -> None:
        # Neovim's cursor on the nvim line; Ada's and Bob's carets where they typed.
        self.nvim.lua("vim.api.nvim_win_set_cursor(0, {5, 3}); vim.cmd('doautocmd CursorMoved')")
        self.nvim.lua("mesh_test.hover_here()")
        for driver, key in ((self.ada, "a"), (self.bob, "b")):
            driver.execute_script(BROWSER_CARET, LINES[key], 0.5)
            driver.find_element("css selector", "textarea.input").send_keys("")  # a keyup: the page sends presence
        wait(self.ada, lambda d: any(l.startswith("Bob") for l in self.labels(d)) and any(l.startswith("Cy") for l in self.labels(d)),
             "Bob's and Cy's named cursors at Ada's")
        wait(self.bob, lambda d: any(l.startswith("Ada") for l in self.labels(d)) and any(l.startswith("Cy") for l in self.labels(d)),
             "Ada's and Cy's named cursors at Bob's")
        deadline = time.monotonic() + 20
        while True:
            marks = self.nvim.lua("return mesh_test.extmark_labels()")
            if any("Ada" in m for m in marks) and any("Bob" in m for m in marks):
                break
            if time.monotonic() > deadline:
                raise Failure(f"Neovim labels no Ada and Bob cursors: {marks}")
            time.sleep(0.1)
        for label in self.labels(self.ada):
            assert HOSTILE in label or label.strip() in ("", "Ada"), f"a label lost its text: {label!r}"
        log(f"cursors: Ada's page labels {self.labels(self.ada)}, Neovim {marks}")

    def chat_and_annotation(self) -> None:
        from selenium.webdriver.common.by import By
        from selenium.webdriver.common.keys import Keys
        fill(self.bob, ".chat-form", {"text": "hello " + HOSTILE})
        wait(self.ada, lambda d: any(HOSTILE in e.text for e in d.find_elements(By.CSS_SELECTOR, ".chat-log .text")), "Bob's chat at Ada's")
        fill(self.ada, ".chat-form", {"text": "hi Bob, Cy is in Neovim"})
        wait(self.bob, lambda d: len(d.find_elements(By.CSS_SELECTOR, ".chat-log li")) >= 2, "Ada's chat at Bob's")
        # Ada annotates the first line.
        area = self.ada.find_element(By.CSS_SELECTOR, "textarea.input")
        self.ada.execute_script("const t = arguments[0]; t.focus(); t.setSelectionRange(0, 12);", area)
        area.send_keys(Keys.SHIFT, Keys.ARROW_RIGHT)
        fill(self.ada, ".note-form", {"body": "look " + HOSTILE})
        wait(self.bob, lambda d: any(HOSTILE in e.text for e in d.find_elements(By.CSS_SELECTOR, ".notes .body")), "Ada's annotation at Bob's")
        wait(self.ada, lambda d: any(HOSTILE in e.text for e in d.find_elements(By.CSS_SELECTOR, ".notes .body")), "Ada's annotation at Ada's")
        # The session page with two named cursors, chat and the annotation.
        self.ada.execute_script("const t = document.querySelector('textarea.input'); t.setSelectionRange(t.value.indexOf('// ada:') + 7, t.value.indexOf('// ada:') + 7)")
        self.shot(self.ada, "session", height=1150)
        log("chat and an annotation with hostile text reached the other page as text")

    def markup_from_neovim(self) -> None:
        """File text with markup typed in Neovim is text in the pages."""
        self.nvim.lua("vim.api.nvim_buf_set_lines(0, -1, -1, true, { '// <script>window.pwned=2</script>' .. ... })", HOSTILE)
        for name, driver in (("Ada", self.ada), ("Bob", self.bob)):
            wait(driver, lambda d: "<script>window.pwned=2</script>" in editor_text(d), f"Neovim's markup line at {name}'s")
            wait(driver, lambda d: d.execute_script("return document.querySelector('.lines').textContent.includes(arguments[0])",
                                                    "<script>window.pwned=2</script>"), f"the markup line rendered as text at {name}'s")
            assert driver.execute_script("return window.pwned === undefined"), f"hostile text ran in {name}'s page"
            assert not driver.find_elements("css selector", "main img, main script, nav img"), f"hostile text became markup in {name}'s page"
        log("markup typed in Neovim stays text in both pages")

    def follow(self) -> None:
        """Bob follows Ada; Ada opens notes.md and types there; Bob's page goes with her."""
        from selenium.webdriver.common.by import By
        button = wait(self.bob, lambda d: [b for li in d.find_elements(By.CSS_SELECTOR, ".people li") if li.text.startswith("Ada")
                                           for b in li.find_elements(By.CSS_SELECTOR, "button") if b.text == "Follow"], "the Follow button for Ada")
        button[0].click()
        wait(self.bob, lambda d: any(b.text == "Stop following" for b in d.find_elements(By.CSS_SELECTOR, ".people button")), "Bob following Ada")
        fill(self.ada, ".new-file", {"path": "notes.md"})
        wait(self.ada, lambda d: d.find_element(By.CSS_SELECTOR, ".file-title").text == "notes.md"
             and not d.find_element(By.CSS_SELECTOR, "textarea.input").get_attribute("readonly"), "Ada's editable notes.md")
        area = self.ada.find_element(By.CSS_SELECTOR, "textarea.input")
        area.click()
        area.send_keys("# Notes\n\nfollow me\n")
        wait(self.bob, lambda d: d.find_element(By.CSS_SELECTOR, ".file-title").text == "notes.md" and "follow me" in editor_text(d),
             "Bob's page to follow Ada into notes.md")
        self.bob.find_element(By.XPATH, "//button[text()='Stop following']").click()
        for driver in (self.ada, self.bob):
            driver.get(self.session_url + "/f/main.go")
            wait(driver, lambda d: "// ada:" in (editor_text(d) or ""), "main.go again")
        log("follow: Bob's page followed Ada into notes.md")

    def viewers(self, text: str) -> None:
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import Select
        ada, bob = self.ada, self.bob
        ada.get(self.session_url + "/people")
        def role_of(who):
            return [m["role"] for m in self.cy.get(f"/v1/sessions/{self.session_id}/members")
                    if m["displayName"].startswith(who)][0]
        for who in ("Bob", "Cy"):
            select = wait(ada, lambda d: [s for s in d.find_elements(By.CSS_SELECTOR, "select[aria-label^='Role of']")
                                          if s.get_attribute("aria-label").startswith(f"Role of {who}")], f"{who}'s role")[0]
            Select(select).select_by_value("viewer")
            wait(ada, lambda d: role_of(who) == "viewer", f"{who} to be a viewer on the server")
            # The page shows the new role (after re-rendering the members).
            wait(ada, lambda d: [s for s in d.find_elements(By.CSS_SELECTOR, "select[aria-label^='Role of']")
                                 if s.get_attribute("aria-label").startswith(f"Role of {who}") and s.get_attribute("value") == "viewer"],
                 f"the People page to show {who} as a viewer")
        wait(bob, lambda d: d.find_element(By.CSS_SELECTOR, "textarea.input").get_attribute("readonly") is not None, "Bob read-only")
        wait(bob, lambda d: d.find_element(By.CSS_SELECTOR, ".session-bar .badge").text == "viewer", "Bob's role badge")
        before = editor_text(bob)
        bob.find_element(By.CSS_SELECTOR, "textarea.input").send_keys("nope")
        time.sleep(0.3)
        assert editor_text(bob) == before, "a viewer typed in the browser"
        # And the server refuses a viewer's op sent anyway, over a socket of Bob's own.
        answer = bob.execute_async_script(RAW_VIEWER_OP, self.session_id, "main.go", "~b999~")
        assert answer.get("type") == "error" and answer.get("code") == "forbidden", f"a viewer's raw op: {answer}"
        # Cy's Neovim: the edit is undone by mesh lsp and reaches no one.
        server_before = self.server_text("main.go")
        deadline = time.monotonic() + 20
        while "is now viewer" not in self.nvim.lua("return mesh_test.messages()"):  # the role change reaches mesh lsp
            if time.monotonic() > deadline:
                raise Failure(f"Neovim was never told it is a viewer: {self.nvim.lua('return mesh_test.messages()')[-500:]!r}")
            time.sleep(0.1)
        self.nvim.lua(NVIM_INSERT, LINES["n"], "~n999~", 0.0, "set_text")
        deadline = time.monotonic() + 10
        while "your edit was undone" not in self.nvim.lua("return mesh_test.messages()"):
            if time.monotonic() > deadline:
                raise Failure(f"mesh lsp did not say the viewer's edit was undone: {self.nvim.lua('return mesh_test.messages()')[-500:]!r}")
            time.sleep(0.1)
        deadline = time.monotonic() + 10
        while "~n999~" in self.nvim.text():
            if time.monotonic() > deadline:
                raise Failure(f"the viewer's edit stayed in Neovim: {self.nvim.text()!r}")
            time.sleep(0.1)
        time.sleep(1.0)
        for name, value in (("server", self.server_text("main.go")), ("Ada", editor_text(ada) if ada.current_url.endswith("main.go") else None),
                            ("Bob", editor_text(bob))):
            if value is not None:
                assert "~n999~" not in value and "~b999~" not in value, f"a viewer's Neovim edit reached {name}"
        assert self.server_text("main.go") == server_before, "the server's text changed under viewers"
        log("viewers: Bob's editor turned read-only and the server refused his raw op; Cy's Neovim edit was undone by mesh lsp and reached no one")

    def big_document(self) -> None:
        big = "".join(f"func f{i}() int {{ return {i} * 2 }} // line {i} of a big file\n" for i in range(20000))[: 1 << 20]
        status = self.ada.execute_script(CREATE_DOCUMENT, "big.go", big, self.session_id)
        assert status == 201, f"creating big.go: HTTP {status}"
        started = time.monotonic()
        self.ada.get(f"{self.base}/#/s/{self.session_id}/f/big.go")
        wait(self.ada, lambda d: d.execute_script(
            "const t = document.querySelector('textarea.input'); return t && !t.readOnly && t.value.length === arguments[0]", len(big)),
            "big.go editable", timeout=60)
        log(f"1 MB document editable {1000 * (time.monotonic() - started):.0f} ms after the page was asked for "
            "(not a measurement: see Tests/web/browser_bench.py)")


# From a page: a socket of its own (a fresh ticket), the document's snapshot, then an op
# appending `text`; answers the server's reply to that op (an `ack`, or an `error` naming it).
RAW_VIEWER_OP = """
const [session, path, text, done] = arguments;
const csrf = document.cookie.split('; ').find((c) => c.startsWith('mesh_csrf=')).slice(10);
fetch('/v1/ws-ticket', {method: 'POST', credentials: 'same-origin',
  headers: {'Content-Type': 'application/json', 'X-Mesh-CSRF': csrf}, body: JSON.stringify({session})})
.then((r) => r.json()).then(({ticket}) => {
  const socket = new WebSocket(`ws://${location.host}/v1/ws`);
  const timer = setTimeout(() => { done({type: 'timeout'}); socket.close(); }, 10000);
  socket.onopen = () => socket.send(JSON.stringify({type: 'hello', protocol: 1, session, client: 'mesh-web-test/0.1', ticket}));
  socket.onmessage = (event) => {
    const m = JSON.parse(event.data);
    if (m.type === 'welcome') socket.send(JSON.stringify({type: 'open', path}));
    else if (m.type === 'snapshot' && m.path === path)
      socket.send(JSON.stringify({type: 'op', path, baseRev: m.rev, ops: [[...m.text].length, text], opId: 'viewer-test:1'}));
    else if (m.type === 'ack' || (m.type === 'error' && m.ref === 'viewer-test:1')) { clearTimeout(timer); done(m); socket.close(); }
  };
}).catch((e) => done({type: 'failed', message: String(e)}));
"""

CREATE_DOCUMENT = """
const [path, text, session] = arguments;
const csrf = document.cookie.split('; ').find((c) => c.startsWith('mesh_csrf=')).slice(10);
return fetch(`/v1/sessions/${session}/documents`, {method: 'POST', credentials: 'same-origin',
  headers: {'Content-Type': 'application/json', 'X-Mesh-CSRF': csrf}, body: JSON.stringify({path, text})}).then((r) => r.status);
"""
