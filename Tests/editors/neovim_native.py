#!/usr/bin/env python3
"""Neovim 0.11's own ways in, end to end: `vim.lsp.enable('mesh')` through editors/nvim/lsp/mesh.lua,
`:checkhealth mesh`, the help file, the statusline, and no message line per remote edit.

One real `mesh serve` on 127.0.0.1; Ada shares a folder, Bob joins it. Checks, in order:

  helptags      `:helptags` on a copy of editors/nvim/doc succeeds (no duplicate or bad tag), the
                tags the help promises exist, every |link| in mesh.txt names a tag of mesh.txt or
                of Neovim's own help, and `:help mesh-setup` opens mesh.txt
  health-bad    `:checkhealth mesh` with a `mesh` that is not executable reports an ERROR
  enable        a Neovim with only the plugin folder on 'runtimepath' and `vim.lsp.enable('mesh')`
                (no setup(), `mesh` found on PATH, MESH_HOME from the environment) attaches a
                shared file with the config of lsp/mesh.lua (cmd mesh lsp, every file type,
                debounce 50, root = the shared folder, the plugin's strict applyEdit), reuses the
                client for a file of another type there, and starts nothing for a file outside
                (checked again after 2 s); its edits reach the others and theirs reach it
  statusline    require('mesh').statusline() is "" outside a shared buffer and "mesh: 1 peer"
                once Bob's cursor is there (the enable instance) / Ada's (a setup() instance),
                also through 'statusline' (nvim_eval_statusline)
  health        `:checkhealth mesh` in a shared buffer: OK for Neovim 0.11, `mesh --version`,
                the shared folder, the login (Ada's e-mail; no token printed), the way it was
                enabled and the attached client, and no ERROR; in a buffer outside: a WARNING
                that the folder is not shared, still no ERROR
  messages      a peer types 20 tokens (set_text and insert-mode keys, each waited for): the
                `:messages` of three receivers (lsp/mesh.lua, setup(), plain vim.lsp.start
                without the plugin) gain no line at all
(helptags and health-bad are in neovim_native_offline.py.)

Usage: neovim_native.py [--mesh PATH] [--nvim PATH] [--keep]
Exit status: 0 pass (or skip outside CI), 1 failure. Under CI=true a missing component fails.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mesh_fixture import Account, Failure, Server, log, run_mesh  # noqa: E402
from neovim_native_offline import OfflineChecks  # noqa: E402
from nvim_instance import REPO, Instance, alive, wait_until, missing_components, reap  # noqa: E402

CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
logging.getLogger("asyncio").setLevel(logging.ERROR)

SHARED_GO = "main.go"
SHARED_MD = "notes.md"
GO_TEXT = "package main\n\nfunc main() {\n\tprintln(\"héllo 🎉\")\n}\n"
MD_TEXT = "# Notes\n\nshared notes\n"
TOKENS = 20


class Native(OfflineChecks):
    def __init__(self, args):
        self.args = args
        base = REPO / ".build" / "editor-tests"
        base.mkdir(parents=True, exist_ok=True)
        self.root = Path(tempfile.mkdtemp(prefix="native-", dir=base))
        self.server: Server | None = None
        self.instances: list[Instance] = []
        self.standalone: list = []  # pynvim sessions outside any Instance

    # -- the shared folder ------------------------------------------------------------------

    def setup(self) -> None:
        mesh = self.args.mesh
        self.server = Server(mesh, self.root)
        self.ada = self.signup("ada", "Ada")
        self.bob = self.signup("bob", "Bob")
        self.ada_dir = self.root / "ada-project"
        self.ada_dir.mkdir()
        (self.ada_dir / SHARED_GO).write_text(GO_TEXT, encoding="utf-8")
        (self.ada_dir / SHARED_MD).write_text(MD_TEXT, encoding="utf-8")
        shared = run_mesh(mesh, ["share", str(self.ada_dir), "--server", self.server.url], self.ada.home)
        self.session = shared["session"]["id"]
        self.bob_dir = self.root / "bob-project"
        run_mesh(mesh, ["join", shared["invite"]["code"], str(self.bob_dir), "--server", self.server.url], self.bob.home)
        self.elsewhere = self.root / "elsewhere"
        self.elsewhere.mkdir()
        (self.elsewhere / "other.go").write_text("package other\n", encoding="utf-8")
        # `mesh` on the PATH of the instance that has no options at all.
        self.bin = self.root / "bin"
        self.bin.mkdir()
        (self.bin / "mesh").symlink_to(Path(mesh).resolve())
        log(f"server {self.server.url}, session {self.session}")

    def signup(self, key: str, name: str) -> Account:
        home = self.root / f"home-{key}"
        run_mesh(self.args.mesh, ["signup", "--email", f"{key}@example.test", "--name", name, "--password-stdin",
                                  "--server", self.server.url], home, stdin=f"{key} password 123\n")
        return Account(home=home, name=name, mesh=self.args.mesh, server=self.server.url)

    def server_text(self, path: str) -> str | None:
        for document in self.ada.get(f"/v1/sessions/{self.session}/documents"):
            if document["path"] == path:
                return self.ada.get(f"/v1/sessions/{self.session}/documents/{document['id']}")["text"]
        return None

    def start(self) -> None:
        env = {"PATH": f"{self.bin}{os.pathsep}{os.environ.get('PATH', '')}", "MESH_HOME": str(self.ada.home)}
        specs = [
            Instance(name="ada-enable", account=self.ada, folder=self.ada_dir, plugin=True, enable=True, env=env,
                     nvim_bin=self.args.nvim, mesh=self.args.mesh, root=self.root),
            Instance(name="ada-typer", account=self.ada, folder=self.ada_dir, plugin=True,
                     nvim_bin=self.args.nvim, mesh=self.args.mesh, root=self.root),
            Instance(name="bob-plugin", account=self.bob, folder=self.bob_dir, plugin=True,
                     nvim_bin=self.args.nvim, mesh=self.args.mesh, root=self.root),
            Instance(name="bob-plain", account=self.bob, folder=self.bob_dir, plugin=False,
                     nvim_bin=self.args.nvim, mesh=self.args.mesh, root=self.root),
        ]
        for instance in specs:
            instance.start(SHARED_GO)
            self.instances.append(instance)
            try:
                wait_until(instance.ready, 30, what=f"{instance.name}: mesh lsp initialized and attached")
            except Failure:
                raise Failure(f"{instance.name} never attached; messages: {instance.lua('return mesh_test.messages()')}\n"
                              f"lsp.log: {instance.lsp_log()}")
        self.enabled, self.typer, self.bob_plugin, self.bob_plain = self.instances
        wait_until(lambda: all(i.text() == GO_TEXT for i in self.instances), 30, what="every editor to show main.go")

    # -- checks ------------------------------------------------------------------------------

    def check_enable(self) -> None:
        e = self.enabled
        info = e.lua("""
            local c = mesh_test.client()
            local caps = c.config.capabilities or {}
            return { cmd = c.config.cmd, filetypes = c.config.filetypes or vim.NIL, root = c.root_dir,
                     debounce = c.flags.debounce_text_changes, setup = require('mesh.config').is_set,
                     strict = vim.tbl_get(caps, 'experimental', 'mesh', 'strictApplyEdit') or false,
                     clients = #vim.lsp.get_clients({ name = 'mesh' }), id = c.id }
        """)
        expected = {"cmd": ["mesh", "lsp"], "filetypes": None, "root": str(self.ada_dir), "debounce": 50,
                    "setup": False, "strict": True, "clients": 1}
        wrong = {k: (info.get(k), v) for k, v in expected.items() if info.get(k) != v}
        if wrong:
            raise Failure(f"enable: the client lsp/mesh.lua started differs (got, expected): {wrong}")
        # Another file type in the shared folder: the same client.
        e.lua("vim.cmd.edit(vim.fn.fnameescape(...))", str(self.ada_dir / SHARED_MD))
        wait_until(e.ready, 20, what="ada-enable to attach notes.md")
        other = e.lua("return { ft = vim.bo.filetype, id = mesh_test.client().id, n = #vim.lsp.get_clients({ name = 'mesh' }) }")
        if other["id"] != info["id"] or other["n"] != 1:
            raise Failure(f"enable: notes.md ({other['ft']}) got client {other['id']} of {other['n']}, not {info['id']} of 1")
        # Outside the shared folder: nothing starts (root_dir never calls back).
        e.lua("vim.cmd.edit(vim.fn.fnameescape(...))", str(self.elsewhere / "other.go"))
        time.sleep(2)
        outside = e.lua("""return { ft = vim.bo.filetype, here = #vim.lsp.get_clients({ bufnr = 0 }),
                                    all = #vim.lsp.get_clients({ name = 'mesh' }), status = require('mesh').statusline() }""")
        if outside["ft"] != "go" or outside["here"] != 0 or outside["all"] != 1 or outside["status"] != "":
            raise Failure(f"enable: a file outside the shared folder got {outside}")
        self.check_health_outside()
        e.lua("vim.cmd.buffer(vim.fn.bufnr(...))", str(self.ada_dir / SHARED_GO))
        wait_until(e.ready, 10, what="ada-enable back in main.go")
        # Edits both ways.
        for source, marker in ((e, "// from lsp/mesh.lua"), (self.bob_plain, "// from plain Bob")):
            source.lua("vim.api.nvim_buf_set_lines(0, 0, 0, true, { ... })", marker)
            wait_until(lambda: all(marker in i.text() for i in self.instances), 20,
                       what=f"{source.name}'s line to reach every editor")
        self.converge(SHARED_GO)
        log(f"enable: vim.lsp.enable('mesh') alone attached main.go and notes.md ({other['ft']}) to client "
            f"{info['id']} (root {info['root']}, debounce 50, strict applyEdit), nothing outside; edits flow both ways")

    def check_health_outside(self) -> None:
        report = self.health(self.enabled.nvim)
        if not any("WARNING" in line and "not shared" in line for line in report) or any("ERROR" in line for line in report):
            raise Failure("health outside the shared folder: expected a 'not shared' WARNING and no ERROR:\n" + "\n".join(report))
        log("health: outside the shared folder, a 'not shared' WARNING and no ERROR")

    def converge(self, path: str, timeout: float = 30) -> str:
        def same():
            texts = {i.text() for i in self.instances} | {self.server_text(path)}
            return len(texts) == 1 and next(iter(texts))
        return wait_until(same, timeout, interval=0.2, what=f"every editor and the server to agree on {path}")

    def check_statusline(self) -> None:
        e, bob = self.enabled, self.bob_plugin
        for observer, mover in ((e, bob), (bob, e)):
            def shown(observer=observer, mover=mover):
                mover.lua("vim.api.nvim_win_set_cursor(0, {2, 0}); vim.cmd('doautocmd CursorMoved')")
                return observer.lua("return require('mesh').statusline()") == "mesh: 1 peer"
            try:
                wait_until(shown, 15, interval=0.3, what=f"{observer.name}'s statusline to say 'mesh: 1 peer'")
            except Failure as error:
                said = observer.lua("return require('mesh').statusline()")
                raise Failure(f"{error}; it says {said!r}")
            drawn = observer.lua("""
                vim.o.laststatus = 2
                vim.o.statusline = "%f %{%v:lua.require'mesh'.statusline()%}"
                return vim.api.nvim_eval_statusline(vim.o.statusline, {}).str
            """)
            if "mesh: 1 peer" not in drawn:
                raise Failure(f"{observer.name}: 'statusline' draws {drawn!r}")
        log("statusline: 'mesh: 1 peer' in the lsp/mesh.lua and the setup() instance (also through 'statusline'), '' outside")

    def check_health(self) -> None:
        version = os.popen(f"{self.args.mesh} --version").read().strip()
        token = self.ada.token()
        for instance, way in ((self.enabled, "vim.lsp.enable('mesh') is on"), (self.bob_plugin, "setup() ran")):
            account, email, folder = ((self.ada, "ada@example.test", self.ada_dir) if instance is self.enabled
                                      else (self.bob, "bob@example.test", self.bob_dir))
            report = self.health(instance.nvim)
            ok = [line for line in report if "OK" in line]
            wanted = {
                "Neovim 0.11": lambda l: "Neovim 0.11" in l,
                f"mesh {version}": lambda l: f"mesh {version}" in l,
                "shared folder": lambda l: f"shared: {folder}" in l and self.session in l,
                "logged in": lambda l: f"logged in to {self.server.url} as {email}" in l,
                way: lambda l: way in l,
                "client attached": lambda l: "attached to" in l and "client" in l,
            }
            missing = [name for name, test in wanted.items() if not any(test(line) for line in ok)]
            errors = [line for line in report if "ERROR" in line]
            if missing or errors:
                raise Failure(f"health in {instance.name}: missing OK lines {missing}, errors {errors}:\n" + "\n".join(report))
            text = "\n".join(report)
            for secret in (token, account.token()):
                if secret in text:
                    raise Failure(f"health in {instance.name} printed an access token")
            log(f"health: {instance.name}: {len(ok)} OK lines, no ERROR, no token")

    def check_messages(self) -> None:
        receivers = [self.enabled, self.bob_plugin, self.bob_plain]
        before = {r.name: self.message_lines(r) for r in receivers}
        typed = []
        for n in range(TOKENS):
            token = f"<m{n}x>"
            how = "set_text" if n % 2 == 0 else "keys"
            self.typer.lua("mesh_test.insert_token(...)", token, (n * 0.37) % 1, (n * 0.61) % 1, how)
            typed.append(token)
            wait_until(lambda: all(token in r.text() for r in receivers), 20, interval=0.02,
                       what=f"{token} to reach every receiver")
        text = self.converge(SHARED_GO)
        wrong = [t for t in typed if text.count(t) != 1]
        if wrong:
            raise Failure(f"messages: tokens not exactly once: {wrong}")
        time.sleep(1)  # anything printed late
        problems = []
        for r in receivers:
            after = self.message_lines(r)
            old = before[r.name]
            if after[:len(old)] != old:
                problems.append(f"{r.name}: the message history changed in a way that hides what was added: {after[-10:]}")
                continue
            added = after[len(old):]
            if added:
                problems.append(f"{r.name} ({'plain vim.lsp.start' if not r.plugin else 'lsp/mesh.lua' if r.enable else 'setup()'}) "
                                f"gained {len(added)} message line(s): {added[:10]}")
        if problems:
            raise Failure("messages: remote edits printed something:\n  " + "\n  ".join(problems))
        log(f"messages: {TOKENS} remote tokens, no message line in the lsp/mesh.lua, setup() and plain receivers")

    @staticmethod
    def message_lines(instance: Instance) -> list[str]:
        output = instance.lua("return vim.api.nvim_exec2('messages', { output = true }).output")
        return [line for line in output.split("\n") if line != ""]

    # -- driver --------------------------------------------------------------------------------

    def run(self) -> None:
        log(f"work dir {self.root}")
        self.check_helptags()
        self.check_health_without_mesh()
        self.setup()
        self.start()
        self.check_enable()
        self.check_statusline()
        self.check_health()
        self.check_messages()

    def pids(self) -> list[int]:
        return [pid for i in self.instances if i.pid for pid in [*i.children(), i.pid]]

    def cleanup(self, keep: bool, hard: bool) -> None:
        lsp = [pid for i in self.instances if i.nvim for pid in i.children()]
        for instance in self.instances:
            if hard and instance.nvim is not None and alive(instance.pid):
                os.kill(instance.pid, signal.SIGKILL)
            instance.close()
        for nvim in self.standalone:
            try:
                nvim.command("qa!", async_=True)
                nvim.close()
            except Exception:
                pass
        reap(lsp, self.server, self.root, keep)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mesh", default=os.environ.get("MESH_BIN", str(REPO / ".build" / "debug" / "mesh")))
    parser.add_argument("--nvim", default=os.environ.get("NVIM_BIN", "nvim"))
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args()

    args.nvim = shutil.which(args.nvim) or args.nvim
    if (code := missing_components(args.nvim, args.mesh)) is not None:
        return code

    test = Native(args)

    def watchdog() -> None:  # a blocked pynvim request cannot be interrupted: kill everything
        print("FAIL: neovim_native.py exceeded 300 s", flush=True)
        for pid in test.pids() + ([test.server.process.pid] if test.server else []):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        os._exit(1)

    timer = threading.Timer(300, watchdog)
    timer.daemon = True
    timer.start()
    ok = False
    try:
        test.run()
        ok = True
    except (Failure, AssertionError) as error:
        print(f"FAIL: {error}", flush=True)
    except Exception as error:  # pynvim errors (a failed :helptags among them)
        import traceback
        traceback.print_exc()
        print(f"FAIL: {type(error).__name__}: {error}", flush=True)
    finally:
        test.cleanup(keep=args.keep or not ok, hard=not ok)
        timer.cancel()
    print("PASS" if ok else "FAIL", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
