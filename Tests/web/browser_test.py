"""The web client in real headless Chromium against the real `mesh serve`, next to a real Neovim.

One `mesh serve` (MESH_BIN, default .build/debug/mesh) on 127.0.0.1 with a free port and SQLite
in a temporary folder. Ada signs up in Chromium with a hostile name, creates a session (hostile
name) and main.go, and invites from the People page; Bob opens the invite link in a second
Chromium, signs up from there and joins; Cy, in Neovim 0.11 with editors/nvim, joins with
`mesh join <invite link>` and opens main.go through `mesh lsp`. Then:
  - the three type unique tokens at once (the two browsers with real key events from their own
    threads, Neovim with insert-mode keys and nvim_buf_set_text), each into its own line at
    random places; after quiet both textareas, the Neovim buffer and the server's text are equal
    and hold every token exactly once, and nothing else changed;
  - named cursors: Ada's page labels Bob's and Cy's cursors, Neovim labels Ada's and Bob's;
  - chat and an annotation with hostile text reach the other page (as text: no element, no
    script run); file text typed in Neovim with markup stays text in the pages;
  - Bob follows Ada into another file;
  - Ada makes Bob a viewer (his editor turns read-only without a reload, typing changes
    nothing, and an op sent anyway over a socket of his own is refused `forbidden` by the
    server) and Cy a viewer (his Neovim edit is undone by `mesh lsp`, and reaches no one);
  - a 1 MB document opens editable; no console errors.
The steps after the typing are in browser_checks.py.
Screenshots of the main pages go to --screenshots DIR (default .build/web-screenshots;
`--screenshots docs/web` refreshes the documentation's).

    python3 Tests/web/browser_test.py [--screenshots DIR] [--keep] [--seed N]

On a failure it prints every page's state (URL, status, text, labels, console) and Neovim's
buffer and messages. Under CI=true a missing component fails the run, never skips.
"""
from __future__ import annotations

import argparse
import os
import random
import re
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from browser_checks import BROWSER_CARET, HOSTILE, LINES, NVIM_INSERT, SessionChecks, log  # noqa: E402
from web_fixture import REPO, Stack, check_components, editor_text, fill, page_state, wait  # noqa: E402

TOKEN = re.compile(r"~[abn]\d+~")
TOKENS_PER_WRITER = 15
QUIET_SECONDS = 2.0


def script_errors(driver):
    """Console errors other than the expected 401s of a logged-out page."""
    return [e["message"] for e in driver.get_log("browser")
            if e["level"] == "SEVERE" and "401" not in e["message"]]


class Scenario(SessionChecks):
    def __init__(self, stack: Stack, nvim: str, shots: Path, rng: random.Random):
        self.stack, self.nvim_bin, self.shots, self.rng = stack, nvim, shots, rng
        self.base = stack.url
        self.ada = stack.browser()
        self.bob = stack.browser()
        self.cy = None
        self.nvim = None
        self.session_url = ""

    def shot(self, driver, name: str, height: int | None = None) -> None:
        size = driver.get_window_size()
        if height:
            driver.set_window_size(size["width"], height)
        time.sleep(0.3)  # let the page paint
        driver.save_screenshot(str(self.shots / f"{name}.png"))
        if height:
            driver.set_window_size(size["width"], size["height"])

    def labels(self, driver) -> list[str]:
        from selenium.webdriver.common.by import By
        return driver.execute_script("return [...document.querySelectorAll('.peer-label')].map((e) => e.textContent)")

    def run(self) -> None:
        from selenium.webdriver.common.by import By
        from selenium.webdriver.common.keys import Keys
        ada, bob = self.ada, self.bob

        # Ada signs up with a hostile name, creates a session and main.go, and types.
        ada.get(self.base + "/#/signup")
        fill(ada, "form", {"displayName": "Ada " + HOSTILE, "email": "ada@example.test", "password": "correct horse"}, submit=False)
        self.shot(ada, "signup")
        ada.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
        wait(ada, lambda d: "Verify your email" in d.page_source, "the verify page")
        ada.get(self.base + "/#/sessions")
        wait(ada, lambda d: d.find_elements(By.CSS_SELECTOR, ".inline-form input[name=name]"), "the sessions page")
        fill(ada, ".inline-form", {"name": "Pairing " + HOSTILE})
        wait(ada, lambda d: d.find_elements(By.CSS_SELECTOR, ".session-bar .status.open"), "Ada's session socket")
        fill(ada, ".new-file", {"path": "main.go"})
        wait(ada, lambda d: d.find_elements(By.CSS_SELECTOR, "textarea.input")
             and not d.find_element(By.CSS_SELECTOR, "textarea.input").get_attribute("readonly"), "an editable main.go")
        area = ada.find_element(By.CSS_SELECTOR, "textarea.input")
        area.click()
        area.send_keys("package main\n\n// ada:\n// bob:\n// nvim:\n\nfunc main() {\n\tprintln(\"hi\")\n}\n// " + HOSTILE + "\n")
        wait(ada, lambda d: d.find_elements(By.CSS_SELECTOR, ".lines .t-kw"), "highlighted keywords")
        self.session_url = ada.current_url.split("/f/")[0]
        self.session_id = self.session_url.split("#/s/")[1]
        ada.get(self.base + "/#/sessions")
        wait(ada, lambda d: d.find_elements(By.CSS_SELECTOR, "table.table tbody tr"), "the sessions table")
        self.shot(ada, "sessions")
        log("ada signed up, created the session and main.go")

        # Ada invites from the People page: an editor invite with 5 uses, for Bob and Cy.
        ada.get(self.session_url + "/people")
        wait(ada, lambda d: d.find_elements(By.CSS_SELECTOR, "form.inline-form select[name=role]"), "the invite form")
        fill(ada, "form.inline-form", {"maxUses": "5"})
        link = wait(ada, lambda d: d.find_elements(By.CSS_SELECTOR, "code.link-text"), "an invite link")[0].text
        assert link.startswith(self.base + "/join/"), link

        # Bob opens the link, signs up there, comes back and joins in the browser.
        bob.get(link)
        wait(bob, lambda d: "mesh join " + link in d.find_element(By.CSS_SELECTOR, "pre.command").text, "the mesh join command")
        self.shot(bob, "invite-link")
        bob.find_element(By.CSS_SELECTOR, "main a.button[href='/#/signup']").click()
        fill(bob, "form", {"displayName": "Bob " + HOSTILE, "email": "bob@example.test", "password": "battery staple"})
        wait(bob, lambda d: "/join/" in d.current_url and d.find_elements(By.XPATH, "//button[text()='Join the session']"), "back on the invite page")
        bob.find_element(By.XPATH, "//button[text()='Join the session']").click()
        wait(bob, lambda d: d.find_elements(By.CSS_SELECTOR, ".session-bar .status.open"), "Bob's session socket")
        log("bob joined through the invite link in the browser")

        # Cy joins with `mesh join <link>` and opens main.go in Neovim (editors/nvim, mesh lsp).
        self.cy = self.stack.cli_account("cy", "Cy " + HOSTILE)
        folder = self.stack.join(self.cy, link, "cy-project")
        on_disk = (folder / "main.go").read_text(encoding="utf-8")
        assert "// nvim:" in on_disk, f"mesh join wrote {on_disk!r}"
        self.nvim = self.stack.neovim(self.cy, folder, "main.go", self.nvim_bin, name="cy-nvim")
        log("cy joined with `mesh join <link>`; Neovim attached mesh lsp")

        ada.get(self.session_url + "/f/main.go")
        bob.get(self.session_url + "/f/main.go")
        for name, driver in (("Ada", ada), ("Bob", bob)):
            wait(driver, lambda d: editor_text(d) == on_disk and not d.find_element(By.CSS_SELECTOR, "textarea.input").get_attribute("readonly"),
                 f"{name}'s editable main.go")
        self.people_shot()
        initial = self.converge_exactly_once(on_disk)
        self.cursors()
        self.chat_and_annotation()
        self.markup_from_neovim()
        self.follow()
        self.viewers(initial)
        self.big_document()
        for name, driver in (("Ada", ada), ("Bob", bob)):
            assert driver.execute_script("return window.pwned === undefined"), f"hostile text ran in {name}'s page"
            errors = script_errors(driver)
            assert not errors, f"{name}'s console: {errors}"

    def people_shot(self) -> None:
        from selenium.webdriver.common.by import By
        self.ada.get(self.session_url + "/people")
        wait(self.ada, lambda d: len(d.find_elements(By.CSS_SELECTOR, "select[aria-label^='Role of']")) == 2, "Bob's and Cy's roles")
        wait(self.ada, lambda d: d.find_elements(By.CSS_SELECTOR, "code.link-text"), "the invite list")
        self.shot(self.ada, "people")
        self.ada.get(self.session_url + "/f/main.go")
        wait(self.ada, lambda d: "// ada:" in (editor_text(d) or "") and not d.find_element(By.CSS_SELECTOR, "textarea.input").get_attribute("readonly"),
             "Ada's main.go again")

    def texts(self) -> dict[str, str]:
        return {"ada": editor_text(self.ada), "bob": editor_text(self.bob), "nvim": self.nvim.text(),
                "server": self.server_text("main.go")}

    def server_text(self, path: str) -> str:
        for document in self.cy.get(f"/v1/sessions/{self.session_id}/documents"):
            if document["path"] == path:
                return self.cy.get(f"/v1/sessions/{self.session_id}/documents/{document['id']}")["text"]
        return ""

    def converge_exactly_once(self, initial: str) -> str:
        """Two browsers (their own threads) and Neovim (this thread) type at once."""
        from selenium.webdriver.common.action_chains import ActionChains
        errors: list[str] = []

        def browser_writer(driver, key: str, seed: int) -> None:
            rng = random.Random(seed)
            try:
                for i in range(TOKENS_PER_WRITER):
                    at = driver.execute_script(BROWSER_CARET, LINES[key], rng.random())
                    if at < 0:
                        raise AssertionError(f"no line {LINES[key]} in the editor")
                    ActionChains(driver).send_keys(f"~{key}{i}~").perform()
                    time.sleep(rng.choice([0, 0, 0.01, 0.05]))
            except Exception as error:  # reported by the main thread
                errors.append(f"{key}: {type(error).__name__}: {error}")

        threads = [threading.Thread(target=browser_writer, args=(driver, key, self.rng.randrange(1 << 30)))
                   for driver, key in ((self.ada, "a"), (self.bob, "b"))]
        for thread in threads:
            thread.start()
        for i in range(TOKENS_PER_WRITER):
            how = self.rng.choice(["keys", "set_text"])
            self.nvim.lua(NVIM_INSERT, LINES["n"], f"~n{i}~", self.rng.random(), how)
            time.sleep(self.rng.choice([0, 0.01, 0.05]))
        for thread in threads:
            thread.join(120)
        assert not errors, f"typing failed: {errors}"

        expected = [f"~{k}{i}~" for k in "abn" for i in range(TOKENS_PER_WRITER)]
        deadline = time.monotonic() + 30
        last, since = {}, time.monotonic()
        while time.monotonic() < deadline:
            texts = self.texts()
            if texts != last:
                last, since = texts, time.monotonic()
            elif len(set(texts.values())) == 1 and all(t in texts["ada"] for t in expected) \
                    and time.monotonic() - since >= QUIET_SECONDS:
                break
            time.sleep(0.1)
        problems = []
        for name, text in last.items():
            wrong = [f"{t} ×{text.count(t)}" for t in expected if text.count(t) != 1]
            rest = TOKEN.sub("", text)
            if wrong:
                problems.append(f"{name}: {', '.join(wrong)}")
            elif rest != initial:
                problems.append(f"{name}: without the tokens the text is {rest!r}")
        if len(set(last.values())) != 1:
            problems.append("the texts differ: " + "; ".join(f"{n} {t!r}" for n, t in last.items()))
        assert not problems, "exactly once: " + "; ".join(problems)
        log(f"exactly once: {len(expected)} tokens typed at once by two browsers and Neovim, each once everywhere")
        return last["server"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--screenshots", default=str(REPO / ".build" / "web-screenshots"))
    parser.add_argument("--keep", action="store_true", help="keep the work folder (server log, Neovim logs)")
    parser.add_argument("--seed", type=int)
    args = parser.parse_args()
    nvim = check_components("browser_test")
    seed = args.seed if args.seed is not None else random.randrange(1 << 32)
    shots = Path(args.screenshots)
    shots.mkdir(parents=True, exist_ok=True)
    for stale in shots.glob("failed-*.png"):
        stale.unlink()
    log(f"seed {seed}")
    stack = Stack("browser-test")
    scenario = None
    failed = False
    try:
        scenario = Scenario(stack, nvim, shots, random.Random(seed))
        scenario.run()
        print("ok - two browsers and Neovim (mesh lsp) against mesh serve: every keystroke exactly once, named cursors, "
              "chat, an annotation, follow, viewers refused, hostile text stays text", flush=True)
    except Exception as error:  # an assertion, a timeout, a WebDriver or pynvim error: the run fails, saying which
        failed = True
        said = "\n".join(str(error).splitlines()[:4])  # not WebDriver's stack of addresses
        print(f"not ok - {type(error).__name__}: {said} (seed {seed})", flush=True)
        if scenario:
            for name, driver in (("ada", scenario.ada), ("bob", scenario.bob)):
                print(page_state(name, driver), flush=True)
                try:
                    driver.save_screenshot(str(shots / f"failed-{name}.png"))
                except Exception:
                    pass
            if scenario.nvim and scenario.nvim.nvim:
                try:
                    print(f"# neovim buffer: {scenario.nvim.text()!r}\n# neovim messages: "
                          f"{scenario.nvim.lua('return mesh_test.messages()')[-1000:]!r}", flush=True)
                except Exception as e:
                    print(f"# neovim: {e}")
        print(f"# server log: {stack.server.log_path.read_text(errors='replace')[-3000:]}", flush=True)
    finally:
        stack.close(keep=failed or args.keep)
    print(f"{0 if failed else 1} passed, {1 if failed else 0} failed", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
