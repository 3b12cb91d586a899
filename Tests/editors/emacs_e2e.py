#!/usr/bin/env python3
"""Emacs end-to-end check for editors/emacs/mesh.el: eglot drives `mesh lsp` next to a plain
headless Neovim, against a real `mesh serve` on 127.0.0.1.

Ada shares a folder and edits in Neovim; Eve joins and edits in batch Emacs (emacs_check.el,
which prints "STEP <name>" lines; this script answers by creating files in a sync folder).
Checked, in order:
  1. a file in a folder that is not shared starts no `mesh lsp` and gets no Mesh eglot entry;
  2. in the shared folder eglot starts `mesh lsp` (mesh.el's server class, languageId "text");
  3. Emacs's line reaches Neovim; Neovim's three lines, three remote edits, reach Emacs, each
     applied without a prompt and without any "[eglot] applying" / "Edit successful" message
     (eglot 1.9 and 1.17 print those for every edit);
  4. Ada's cursor is drawn in Emacs from mesh/presence (an overlay "‸Ada"), and Emacs's cursor
     (mesh/cursor) shows in Neovim as an inlay hint "‸Eve" where Emacs put it;
  5. Eve replies to Ada's annotation (mesh-reply: the reply shows in Neovim) and resolves it
     (mesh-resolve: it disappears); mesh-who answers, mesh-chat reaches Neovim;
  6. the server's text holds every line once.
Needs `emacs` (28.1+) with eglot 1.9+ on its load path (Debian: emacs-nox elpa-eglot);
MESH_EMACS_LOAD_PATH adds directories. Exit status: 0 pass (or skip outside CI), 1 failure.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mesh_fixture import Account, Failure, Server, log, run_mesh  # noqa: E402
from nvim_instance import REPO, Instance, wait_until  # noqa: E402
import emacs_env  # noqa: E402

CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
EMACS = emacs_env.EMACS

INLAY_HINTS_LUA = """
local c = mesh_test.client()
local params = { textDocument = vim.lsp.util.make_text_document_params(0),
                 range = { start = { line = 0, character = 0 },
                           ['end'] = { line = vim.api.nvim_buf_line_count(0), character = 0 } } }
local response = c:request_sync('textDocument/inlayHint', params, 5000, 0)
local found = {}
for _, hint in ipairs((response and response.result) or {}) do
  if type(hint.label) == 'string' then
    table.insert(found, { hint.label, hint.position.line, hint.position.character })
  end
end
return found
"""

ANNOTATE_LUA = """
local c = mesh_test.client()
local response = c:request_sync('workspace/executeCommand', { command = 'mesh.annotate', arguments = {
  vim.uri_from_bufnr(0), { start = { line = 1, character = 0 }, ['end'] = { line = 1, character = 5 } }, ...
} }, 5000, 0)
if not response then return 'timeout' end
return response.err and vim.inspect(response.err) or 'ok'
"""


def load_path() -> list[str]:
    return [*emacs_env.load_path(), "-L", str(REPO / "editors" / "emacs")]


def missing(what: str) -> int:
    print(("FAIL" if CI else "SKIP") + f": {what}", flush=True)
    return 1 if CI else 0


class EmacsRun:
    """Batch Emacs running emacs_check.el; its output collected line by line."""

    def __init__(self, env: dict[str, str], sync: Path):
        self.sync = sync
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [EMACS, "--batch", "-Q", *load_path(), "-l", str(Path(__file__).with_name("emacs_check.el"))],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_step(self, name: str, timeout: float = 60) -> None:
        def done():
            if f"STEP {name}" in self.lines:
                return True
            if self.process.poll() is not None:
                time.sleep(0.2)  # let the reader catch the last lines
                raise Failure(f"emacs exited {self.process.returncode} before step {name}:\n{self.output()[-4000:]}")
            return False
        wait_until(done, timeout, interval=0.1, what=f"Emacs's step {name}")
        log(f"emacs: step {name}")

    def release(self, name: str) -> None:
        (self.sync / name).touch()


def main() -> int:
    mesh = os.environ.get("MESH_BIN", str(REPO / ".build" / "debug" / "mesh"))
    nvim = os.environ.get("NVIM_BIN", "nvim")
    if not shutil.which(EMACS):
        return missing("emacs not found (Debian: apt-get install emacs-nox elpa-eglot)")
    probe = subprocess.run([EMACS, "--batch", "-Q", *load_path(), "--eval", "(progn (require 'eglot) (princ emacs-version))"],
                           capture_output=True, text=True, timeout=60)
    if probe.returncode != 0:
        return missing(f"emacs {probe.stdout.strip()} cannot load eglot (Debian: apt-get install elpa-eglot): "
                       f"{probe.stderr.strip()[-300:]}")
    if not Path(mesh).exists():
        return missing(f"mesh binary {mesh} not found")
    base = REPO / ".build" / "editor-tests"
    base.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="emacs-", dir=base))
    server = Server(mesh, root)
    editor = None
    emacs = None
    ok = False
    try:
        accounts = {}
        for key, name in (("ada", "Ada"), ("eve", "Eve")):
            home = root / f"home-{key}"
            run_mesh(mesh, ["signup", "--email", f"{key}@example.test", "--name", name, "--password-stdin",
                            "--server", server.url], home, stdin=f"{key} password 123\n")
            accounts[key] = Account(home=home, name=name, mesh=mesh, server=server.url)
        ada_dir, eve_dir, plain_dir, sync = root / "ada", root / "eve", root / "plain", root / "sync"
        for folder in (ada_dir, plain_dir, sync):
            folder.mkdir()
        (ada_dir / "notes.txt").write_text("hello 🎉\nsecond line\n", encoding="utf-8")
        (plain_dir / "other.txt").write_text("not shared\n", encoding="utf-8")
        shared = run_mesh(mesh, ["share", str(ada_dir), "--server", server.url], accounts["ada"].home)
        run_mesh(mesh, ["join", shared["invite"]["code"], str(eve_dir), "--server", server.url], accounts["eve"].home)

        editor = Instance(name="ada-nvim", account=accounts["ada"], folder=ada_dir, plugin=False,
                          nvim_bin=nvim, mesh=mesh, root=root)
        editor.start("notes.txt")
        wait_until(editor.ready, 30, what="Neovim to attach mesh lsp")

        env = {k: v for k, v in os.environ.items() if not k.startswith("MESH_")}
        env.update(MESH_HOME=str(accounts["eve"].home), MESH_FILE=str(eve_dir / "notes.txt"),
                   MESH_PLAIN_FILE=str(plain_dir / "other.txt"), MESH_PROGRAM=str(Path(mesh).resolve()),
                   MESH_SYNC=str(sync), HOME=str(root / "emacs-home"))
        (root / "emacs-home").mkdir()
        emacs = EmacsRun(env, sync)

        emacs.wait_step("plain")
        log("emacs: a file outside the shared folder started no mesh lsp")
        emacs.wait_step("typed")
        wait_until(lambda: "emacs was here" in editor.text(), 30, interval=0.2, what="Emacs's line in Neovim")
        log(f"Neovim shows: {editor.text()!r}")
        for n in (1, 2, 3):
            editor.lua("vim.api.nvim_buf_set_lines(0, -1, -1, true, { ... })", f"nvim was here {n}")
            time.sleep(0.5)
        emacs.release("nvim-typed")

        emacs.wait_step("cursor")
        found = wait_until(lambda: [h for h in editor.lua(INLAY_HINTS_LUA) if h[0] == "‸Eve" and h[1:] == [2, 4]],
                           15, interval=0.3, what="Neovim to show Eve's cursor (mesh/cursor from Emacs) at 2:4")
        log(f"Neovim: inlay hint {found[0]} (Emacs's mesh/cursor)")

        result = editor.lua(ANNOTATE_LUA, "please check")
        if result != "ok":
            raise Failure(f"mesh.annotate from Neovim: {result}")
        emacs.release("annotated")
        emacs.wait_step("replied")
        found = wait_until(lambda: [m for m in editor.lua("return mesh_test.annotation_diagnostics()")
                                    if "please check" in m and "Eve: reply from emacs" in m],
                           20, interval=0.2, what="Eve's reply (mesh-reply) under Ada's annotation in Neovim")
        log(f"Neovim: annotation {found[0]!r}")
        emacs.release("reply-seen")
        emacs.wait_step("resolved")
        wait_until(lambda: not editor.lua("return mesh_test.annotation_diagnostics()"), 20, interval=0.2,
                   what="the annotation to disappear from Neovim (mesh-resolve)")
        log("Neovim: the resolved annotation is gone")
        emacs.wait_step("chatted")
        wait_until(lambda: "Eve: hello from emacs" in editor.lua("return mesh_test.messages()"), 20, interval=0.2,
                   what="Emacs's chat message in Neovim")
        log("Neovim: shows Eve's chat message")
        emacs.release("done")
        emacs.process.wait(timeout=60)
        time.sleep(0.2)
        output = emacs.output()
        print(output[-6000:], flush=True)
        if emacs.process.returncode != 0 or "OK" not in emacs.lines:
            raise Failure(f"emacs exited {emacs.process.returncode}")
        noisy = [line for line in emacs.lines
                 if "[eglot] applying" in line or "dit successful" in line or "Server wants to" in line]
        if noisy:
            raise Failure(f"remote edits printed messages: {noisy[:5]}")

        docs = accounts["ada"].get(f"/v1/sessions/{shared['session']['id']}/documents")
        text = accounts["ada"].get(f"/v1/sessions/{shared['session']['id']}/documents/{docs[0]['id']}")["text"]
        expected = "emacs was here\nhello 🎉\nsecond line\nnvim was here 1\nnvim was here 2\nnvim was here 3\n"
        wait_until(lambda: editor.text() == expected, 10, what="Neovim to show the final text")
        assert text == expected, f"server text {text!r}, expected {expected!r}"
        log("emacs: eglot + mesh.el edited alongside Neovim, quietly; cursors both ways; reply, resolve, chat")
        ok = True
    except (Failure, AssertionError, subprocess.TimeoutExpired) as error:
        if emacs:
            (root / "emacs.log").write_text(emacs.output())
            print(emacs.output()[-6000:], flush=True)
        print(f"FAIL: {error}; work dir {root}", flush=True)
    finally:
        if emacs and emacs.process.poll() is None:
            emacs.process.kill()
        if editor:
            editor.close()
        server.stop()
        if ok:
            shutil.rmtree(root, ignore_errors=True)
    print("PASS" if ok else "FAIL", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
