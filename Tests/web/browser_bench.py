"""Latency between the browser and Neovim, and the time to a first editable 1 MB document, against
the real `mesh serve` (a benchmark: it prints figures, it passes no judgement on them).

One `mesh serve` (MESH_BIN, default .build/debug/mesh; 127.0.0.1, a free port, SQLite in a
temporary folder), Ada in headless Chromium (sign up, session, main.go, an invite from the People
page), Cy in a headless Neovim 0.11 with editors/nvim (its defaults: debounce_text_changes
50 ms) through `mesh lsp`, joined with `mesh join <invite link>`.

  - browser → Neovim: one real key event at a time in the page's editor; from the page's
    `input` event (Date.now()) to the moment Neovim's buffer holds the character (an
    nvim_buf_attach on_lines callback, vim.uv.gettimeofday()); both clocks are the machine's
    wall clock;
  - Neovim → browser: one key at a time typed in insert mode (nvim_input); from Neovim's
    on_lines to the moment the page's rendered lines change with it (a MutationObserver on the
    editor's lines, Date.now());
  - the 1 MB document: a fresh page load of `/#/s/<session>/f/big.go` (page, login check, ticket,
    socket, snapshot, first render) until its textarea holds all of it and is editable.
Each keystroke waits for the previous one to arrive, then 60-100 ms (past Neovim's debounce: a
lone keystroke is sent at once, only the later keys of a burst wait for it).

    python3 Tests/web/browser_bench.py [--keystrokes 300] [--opens 5] [--debounce MS]
"""
from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from web_fixture import MESH, Stack, check_components, editor_text, fill, page_state, wait  # noqa: E402
from browser_test import CREATE_DOCUMENT  # noqa: E402

TO_NVIM = "// to nvim:"
FROM_NVIM = "// from nvim:"

NVIM_RECORD = r"""
_G.bench = {}
vim.api.nvim_buf_attach(0, false, { on_lines = function()
  local s, us = vim.uv.gettimeofday()
  local lines = vim.api.nvim_buf_get_lines(0, 0, -1, true)
  local a, b = -1, -1
  for _, line in ipairs(lines) do
    if line:sub(1, #'// to nvim:') == '// to nvim:' then a = #line end
    if line:sub(1, #'// from nvim:') == '// from nvim:' then b = #line end
  end
  table.insert(_G.bench, { s * 1000 + us / 1000, a, b })
end })
"""

PAGE_RECORD = r"""
window.benchInputs = []; window.benchSeen = [];
const t = document.querySelector('textarea.input');
const lineLength = (prefix) => { const v = t.value; const i = v.indexOf(prefix); if (i < 0) return -1; const e = v.indexOf('\n', i); return (e < 0 ? v.length : e) - i; };
t.addEventListener('input', () => window.benchInputs.push([Date.now(), lineLength(arguments[0])]));
new MutationObserver(() => window.benchSeen.push([Date.now(), lineLength(arguments[1])]))
  .observe(document.querySelector('.lines'), { childList: true, subtree: true, characterData: true });
"""


# The first time a line had this length (Neovim's record; the page's).
NVIM_FIRST = """
local index, length = ...
for _, entry in ipairs(_G.bench) do if entry[index] == length then return entry[1] end end
return nil
"""
PAGE_FIRST = "const e = window[arguments[0]].find((e) => e[1] === arguments[1]); return e ? e[0] : null;"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def summary(values: list[float]) -> str:
    return (f"p50 {percentile(values, 50):.1f} ms, p99 {percentile(values, 99):.1f} ms, "
            f"mean {statistics.fmean(values):.1f} ms, max {max(values):.1f} ms (n={len(values)})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keystrokes", type=int, default=300)
    parser.add_argument("--opens", type=int, default=5)
    parser.add_argument("--debounce", type=int, help="Neovim's debounce_text_changes (default: the plugin's, 50 ms)")
    args = parser.parse_args()
    nvim_bin = check_components("browser_bench")
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    load_start = os.getloadavg()[0]
    stack = Stack("browser-bench")
    ada = nvim = None
    rng = random.Random(7)
    try:
        ada = stack.browser()
        ada.get(stack.url + "/#/signup")
        fill(ada, "form", {"displayName": "Ada", "email": "ada@example.test", "password": "correct horse"})
        wait(ada, lambda d: "Verify your email" in d.page_source, "the verify page")
        ada.get(stack.url + "/#/sessions")
        wait(ada, lambda d: d.find_elements(By.CSS_SELECTOR, ".inline-form input[name=name]"), "the sessions page")
        fill(ada, ".inline-form", {"name": "Bench"})
        wait(ada, lambda d: d.find_elements(By.CSS_SELECTOR, ".session-bar .status.open"), "the session socket")
        fill(ada, ".new-file", {"path": "main.go"})
        wait(ada, lambda d: d.find_elements(By.CSS_SELECTOR, "textarea.input")
             and not d.find_element(By.CSS_SELECTOR, "textarea.input").get_attribute("readonly"), "an editable main.go")
        area = ada.find_element(By.CSS_SELECTOR, "textarea.input")
        area.click()
        area.send_keys(f"package main\n\n{TO_NVIM}\n{FROM_NVIM}\n\nfunc main() {{}}\n")
        session_url = ada.current_url.split("/f/")[0]
        session_id = session_url.split("#/s/")[1]
        ada.get(session_url + "/people")
        wait(ada, lambda d: d.find_elements(By.CSS_SELECTOR, "form.inline-form select[name=role]"), "the invite form")
        fill(ada, "form.inline-form", {})
        link = wait(ada, lambda d: d.find_elements(By.CSS_SELECTOR, "code.link-text"), "an invite link")[0].text
        cy = stack.cli_account("cy", "Cy")
        folder = stack.join(cy, link, "cy-project")
        options = {"debounce": args.debounce} if args.debounce is not None else {}
        nvim = stack.neovim(cy, folder, "main.go", nvim_bin, name="cy-nvim", **options)
        ada.get(session_url + "/f/main.go")
        wait(ada, lambda d: FROM_NVIM in (editor_text(d) or "") and d.find_elements(By.CSS_SELECTOR, ".lines"), "Ada's main.go")
        time.sleep(1)
        nvim.lua(NVIM_RECORD)
        ada.execute_script(PAGE_RECORD, TO_NVIM, FROM_NVIM)

        # Browser → Neovim.
        ada.execute_script("const t = document.querySelector('textarea.input'); const i = t.value.indexOf(arguments[0]) + arguments[0].length;"
                           "t.focus(); t.setSelectionRange(i, i);", TO_NVIM)
        to_nvim = []
        for i in range(args.keystrokes):
            length = len(TO_NVIM) + i + 1
            ActionChains(ada).send_keys("x").perform()
            deadline = time.monotonic() + 10
            while (arrived := nvim.lua(NVIM_FIRST, 2, length)) is None:
                if time.monotonic() > deadline:
                    raise AssertionError(f"keystroke {i} did not reach Neovim")
                time.sleep(0.002)
            typed = ada.execute_script(PAGE_FIRST, "benchInputs", length)
            to_nvim.append(arrived - typed)
            time.sleep(rng.uniform(0.06, 0.1))
        log(f"browser → Neovim: {summary(to_nvim)}")

        # Neovim → browser.
        row = nvim.lua("for i, l in ipairs(vim.api.nvim_buf_get_lines(0, 0, -1, true)) do if l:find(...,1,true) == 1 then return i end end", FROM_NVIM)
        nvim.lua("vim.api.nvim_win_set_cursor(0, {..., 0})", row)
        nvim.nvim.input("A")
        from_nvim = []
        for i in range(args.keystrokes):
            length = len(FROM_NVIM) + i + 1
            nvim.nvim.input("y")
            deadline = time.monotonic() + 10
            while (shown := ada.execute_script(PAGE_FIRST, "benchSeen", length)) is None:
                if time.monotonic() > deadline:
                    raise AssertionError(f"keystroke {i} from Neovim did not show in the page")
                time.sleep(0.002)
            typed = nvim.lua(NVIM_FIRST, 3, length)
            from_nvim.append(shown - typed)
            time.sleep(rng.uniform(0.06, 0.1))
        nvim.nvim.input("<Esc>")
        log(f"Neovim → browser: {summary(from_nvim)}")

        # The 1 MB document, opened by a fresh page load.
        big = "".join(f"func f{i}() int {{ return {i} * 2 }} // line {i} of a big file\n" for i in range(20000))[: 1 << 20]
        opens = []
        for k in range(args.opens):
            status = ada.execute_script(CREATE_DOCUMENT, f"big{k}.go", big, session_id)
            assert status == 201, f"creating big{k}.go: HTTP {status}"
            ada.get("about:blank")
            started = time.monotonic()
            ada.get(f"{stack.url}/#/s/{session_id}/f/big{k}.go")
            while not ada.execute_script("const t = document.querySelector('textarea.input');"
                                         "return t && !t.readOnly && t.value.length === arguments[0]", len(big)):
                if time.monotonic() - started > 60:
                    raise AssertionError(f"big{k}.go was not editable after 60 s")
                time.sleep(0.005)
            opens.append(1000 * (time.monotonic() - started))
        log(f"1 MB open: {opens}")

        cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.machine())
        print(f"# mesh serve ({MESH}), SQLite; headless Chromium {ada.capabilities.get('browserVersion')}; "
              f"Neovim {nvim.lua('return tostring(vim.version())')} with editors/nvim "
              f"(debounce_text_changes {args.debounce if args.debounce is not None else 50} ms); {os.cpu_count()} CPUs, {cpu}; "
              f"1-minute load average {load_start:.1f} at the start, {os.getloadavg()[0]:.1f} at the end")
        print(f"keystroke browser → Neovim: {summary(to_nvim)}")
        print(f"keystroke Neovim → browser: {summary(from_nvim)}")
        print(f"1 MB document ({len(big.encode())} bytes, 20k lines of Go) editable after a page load: "
              f"median {statistics.median(opens):.0f} ms, min {min(opens):.0f} ms, max {max(opens):.0f} ms (n={len(opens)})")
        return 0
    except Exception as error:
        print(f"browser_bench failed: {type(error).__name__}: {error}", flush=True)
        if ada:
            print(page_state("ada", ada))
        if nvim and nvim.nvim:
            print(f"# neovim buffer: {nvim.text()!r}")
        return 1
    finally:
        stack.close()


if __name__ == "__main__":
    sys.exit(main())
