#!/usr/bin/env python3
"""Headless Neovim end-to-end test for `mesh lsp`.

Starts a real `mesh serve` on 127.0.0.1, signs up two users (Ada and Bob) in their own
MESH_HOME, Ada shares a folder, Bob joins it into another, then drives FOUR embedded Neovim 0.11
instances through pynvim:

  ada-plugin  editors/nvim plugin, Ada's folder     bob-plugin  plugin, Bob's folder
  ada-plain   plain vim.lsp.start, Ada's folder     bob-plain   plain vim.lsp.start, Bob's folder

All four type at once for a few seconds (unique tokens with emoji, CJK and combining marks
inside, at random places outside other tokens; `nvim_buf_set_text`, and real insert-mode typing
via feedkeys in the plugin instances), then the test waits until quiet and asserts that every
buffer equals the server's text (REST: GET /v1/sessions/{id}/documents/{doc}), that every token
appears exactly once and that the text around them is unchanged. It then asserts that the plugin instances
draw the peer's name as an extmark in the `mesh` namespace, and that a plain instance gets an
inlay hint labelled with the peer's name.

`--bench` also measures the keystroke-to-peer latency (p50/p99 over ~50 samples) and the time
to open a 1 MB shared document; these are printed, never asserted.

Usage: neovim_e2e.py [--mesh PATH] [--nvim PATH] [--seed N] [--duration S] [--bench] [--keep]
Exit status: 0 pass (or skip outside CI), 1 failure. Under CI=true a missing component fails.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mesh_fixture import Account, Failure, Server, log, run_mesh  # noqa: E402
from nvim_instance import REPO, Instance, alive, wait_until, reap  # noqa: E402

CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
# pynvim's child watcher complains (through asyncio's logger) when an embedded Neovim exits
# after its event loop closed; that is how every instance ends here, so it is noise.
logging.getLogger("asyncio").setLevel(logging.ERROR)

SHARED_FILE = "shared.txt"
BIG_FILE = "big.txt"
CRLF_FILE = "dos.txt"
INITIAL_TEXT = "package main\n\n// héllo wörld 🎉 中文 e\u0301\nfunc main() {\n\tprintln(\"hi\")\n}\n"
# shared.txt starts at ~60 bytes and a run types a few KB; past this something duplicates edits.
BLOW_UP_BYTES = 1_000_000
# What the tokens typed concurrently carry inside (each token is unique: `<n2t7🎉>`).
TOKEN_FILLERS = ["", "é", "🎉", "👩‍💻", "中文", "e\u0301", "Ω", "\t", " xyz"]


def skip_or_fail(message: str) -> None:
    if CI:
        print(f"FAIL: {message} (CI=true: a missing component is a failure)", flush=True)
        sys.exit(1)
    print(f"SKIP: {message}", flush=True)
    sys.exit(0)


# ---------------------------------------------------------------------------------------------
# The test


class E2E:
    def __init__(self, args):
        self.args = args
        self.seed = args.seed if args.seed is not None else random.randrange(1 << 32)
        self.rng = random.Random(self.seed)
        # Under .build (ignored by git) rather than /tmp: a failed run's logs stay until the next clean.
        base = REPO / ".build" / "editor-tests"
        base.mkdir(parents=True, exist_ok=True)
        self.root = Path(tempfile.mkdtemp(prefix="run-", dir=base))
        self.server: Server | None = None
        self.done = threading.Event()
        self.failures: list[str] = []  # checks that fail without stopping the run
        self.extra: list[Instance] = []  # instances outside the four
        self.instances: list[Instance] = []
        self.tokens: list[str] = []  # every token typed in the concurrent phase

    # -- set-up -----------------------------------------------------------------------------

    def setup(self) -> None:
        mesh = self.args.mesh
        self.server = Server(mesh, self.root)
        log(f"server {self.server.url}, data {self.server.data}")
        self.ada = self.signup("ada", "Ada")
        self.bob = self.signup("bob", "Bob")

        self.ada_dir = self.root / "ada-project"
        self.ada_dir.mkdir()
        (self.ada_dir / SHARED_FILE).write_text(INITIAL_TEXT, encoding="utf-8")
        (self.ada_dir / CRLF_FILE).write_bytes("first 🎉\r\nsecond\r\n".encode())
        if self.args.bench:
            line = "0123456789 the quick brown fox jumps over the lazy dog 0123456789\n"
            big = (line * (1_000_000 // len(line) + 1))[:1_000_000 - 1] + "\n"
            (self.ada_dir / BIG_FILE).write_text(big, encoding="utf-8")
        shared = run_mesh(mesh, ["share", str(self.ada_dir), "--server", self.server.url], self.ada.home)
        self.session = shared["session"]["id"]
        code = shared["invite"]["code"]
        log(f"session {self.session}, invite {code}, files {shared.get('files')}")

        self.bob_dir = self.root / "bob-project"
        joined = run_mesh(mesh, ["join", code, str(self.bob_dir), "--server", self.server.url], self.bob.home)
        assert (self.bob_dir / SHARED_FILE).read_text(encoding="utf-8") == INITIAL_TEXT, "join wrote different text"
        assert (self.bob_dir / ".mesh" / "session.json").exists(), "join wrote no .mesh/session.json"
        log(f"bob joined: {joined.get('files')}")

        documents = self.ada.get(f"/v1/sessions/{self.session}/documents")
        self.doc_ids = {d["path"]: d["id"] for d in documents}
        assert SHARED_FILE in self.doc_ids, f"{SHARED_FILE} not in {documents}"

    def signup(self, key: str, name: str) -> Account:
        home = self.root / f"home-{key}"
        run_mesh(self.args.mesh, ["signup", "--email", f"{key}@example.test", "--name", name,
                                  "--password-stdin", "--server", self.server.url],
                 home, stdin=f"{key} password 123\n")
        return Account(home=home, name=name, mesh=self.args.mesh, server=self.server.url)

    def watch_size(self, abort) -> None:
        """In a thread: an editor busy with a runaway document blocks every pynvim request, so
        the size of the shared document is watched from here, and `abort` ends the test."""
        while not self.done.is_set():
            try:
                size = next(d["size"] for d in self.ada.get(f"/v1/sessions/{self.session}/documents")
                            if d["path"] == SHARED_FILE)
            except Exception:
                size = 0
            if size > BLOW_UP_BYTES:
                abort(f"{SHARED_FILE} grew to {size} bytes on the server: edits are being duplicated")
                return
            self.done.wait(0.5)

    def check_not_blown_up(self) -> None:
        """Fails at once when the shared document grows far beyond what was typed."""
        size = next(d["size"] for d in self.ada.get(f"/v1/sessions/{self.session}/documents") if d["path"] == SHARED_FILE)
        if size > BLOW_UP_BYTES:
            sizes = ", ".join(f"{i.name} {len(i.text().encode())} B" for i in self.instances)
            raise Failure(f"{SHARED_FILE} grew to {size} bytes on the server ({sizes}): edits are being duplicated "
                          f"(seed {self.seed}); work dir kept for the logs")

    def server_text(self, path: str = SHARED_FILE) -> str:
        if path not in self.doc_ids:
            documents = self.ada.get(f"/v1/sessions/{self.session}/documents")
            self.doc_ids = {d["path"]: d["id"] for d in documents}
        return self.ada.get(f"/v1/sessions/{self.session}/documents/{self.doc_ids[path]}")["text"]

    def start_editors(self) -> None:
        specs = [("ada-plugin", self.ada, self.ada_dir, True), ("bob-plugin", self.bob, self.bob_dir, True),
                 ("ada-plain", self.ada, self.ada_dir, False), ("bob-plain", self.bob, self.bob_dir, False)]
        for name, account, folder, plugin in specs:
            instance = Instance(name=name, account=account, folder=folder, plugin=plugin,
                                nvim_bin=self.args.nvim, mesh=self.args.mesh, root=self.root,
                                log_level=self.args.lsp_log, tap=self.args.tap,
                                versioned_edits=self.args.versioned_edits)
            instance.start(SHARED_FILE)
            self.instances.append(instance)
        for instance in self.instances:
            try:
                wait_until(instance.ready, 30, what=f"{instance.name}: mesh lsp initialized and attached")
            except Failure:
                raise Failure(f"{instance.name} never attached; messages: {instance.lua('return mesh_test.messages()')}\n"
                              f"lsp.log: {instance.lsp_log()}")
            encoding = instance.lua("return mesh_test.client().offset_encoding")
            log(f"{instance.name}: attached, position encoding {encoding}")

    # -- checks ----------------------------------------------------------------------------

    def diagnose(self, texts: dict[str, str] | None = None) -> str:
        """Every buffer against the server's text, with each editor's messages and lsp.log."""
        if texts is None:
            texts = {"server": self.server_text()}
            for instance in self.instances:
                texts[instance.name] = instance.text()
        server = texts.get("server", "")
        report = []
        for name, text in texts.items():
            same = "same as server" if text == server else first_difference(text, server)
            report.append(f"  {name}: {len(text)} code points, {same}")
        for instance in self.instances:
            report.append(f"--- {instance.name} messages:\n{instance.lua('return mesh_test.messages()')[-1500:]}")
            report.append(f"--- {instance.name} lsp.log:\n{instance.lsp_log()}")
        report.append(f"--- server log:\n{self.server.log_path.read_text(errors='replace')[-3000:]}")
        return "\n".join(report)

    def wait_converged(self, timeout: float, quiet: float = 1.5, path: str = SHARED_FILE) -> str:
        """Waits until every buffer equals the server's text and stays so for `quiet` seconds."""
        deadline = time.monotonic() + timeout
        since = None
        texts: dict[str, str] = {}
        while time.monotonic() < deadline:
            if path == SHARED_FILE:
                self.check_not_blown_up()
            texts = {"server": self.server_text(path)}
            for instance in self.instances:
                texts[instance.name] = instance.text()
            if len(set(texts.values())) == 1:
                since = since or time.monotonic()
                if time.monotonic() - since >= quiet:
                    return texts["server"]
            else:
                since = None
            time.sleep(0.2)
        raise Failure(f"not converged after {timeout:.0f}s (seed {self.seed}):\n" + self.diagnose(texts))

    def warm_up(self) -> None:
        """One edit from each instance, in turn, must reach everyone: basic sync works."""
        for instance in self.instances:
            marker = f"// warm-up from {instance.name}\n"
            instance.lua("vim.api.nvim_buf_set_lines(0, 0, 0, true, { ... })", marker.rstrip("\n"))
            try:
                wait_until(lambda: all(marker in other.text() for other in self.instances), 20,
                           what=f"{instance.name}'s edit to reach every editor")
            except Failure as error:
                raise Failure(f"{error}\n{self.diagnose()}")
        self.wait_converged(20)
        log("warm-up: every instance's edit reached every other instance")

    def concurrent_same_delete(self) -> None:
        """Two editors delete the same line break at the same moment. OT must delete it once and
        duplicate nothing: Neovim reports such a join as "replace the next line with itself"."""
        marker = f"race line 🎉 中文 {self.seed % 1000} end"
        first = self.instances[0]
        first.lua("vim.api.nvim_buf_set_lines(0, 0, 0, true, { '', ... })", marker)
        expected = self.wait_converged(20)
        assert expected.startswith("\n" + marker + "\n"), repr(expected[:80])
        racers = [self.instances[2], self.instances[3]]  # ada-plain and bob-plain
        for racer in racers:  # both requests leave before either editor hears of the other
            racer.nvim.exec_lua("vim.api.nvim_buf_set_text(0, 0, 0, 1, 0, { '' })", async_=True)
        text = self.wait_converged(20)
        count = text.count(marker)
        if count != 1 or not text.startswith(marker + "\n"):
            raise Failure(f"two editors deleted the same line break at once: the line now appears {count} times; "
                          f"text starts {text[:120]!r} (expected {(marker + chr(10))!r} once)")
        log("same-delete race: the joined line appears once")

    def random_edit(self, instance: Instance) -> None:
        """Inserts a unique token (with emoji, CJK, a combining mark or a tab inside) at a
        random place outside every other token: set_text, or typed in insert mode (plugin)."""
        rng = self.rng
        index = self.instances.index(instance)
        token = f"<n{index}t{instance.edits}{rng.choice(TOKEN_FILLERS)}>"
        how = "keys" if instance.plugin and rng.random() < 0.4 else "set_text"
        instance.lua("mesh_test.insert_token(...)", token, rng.random(), rng.random(), how)
        self.tokens.append(token)
        instance.edits += 1

    def type_concurrently(self) -> None:
        deadline = time.monotonic() + self.args.duration
        next_check = time.monotonic() + 1
        while time.monotonic() < deadline:
            self.random_edit(self.rng.choice(self.instances))
            if time.monotonic() >= next_check:
                self.check_not_blown_up()
                next_check = time.monotonic() + 1
            time.sleep(self.rng.uniform(0, self.args.pace / 1000))
        log("typed: " + ", ".join(f"{i.name} {i.edits} tokens" for i in self.instances))

    def check_exactly_once(self, before: str, after: str) -> None:
        """Every token typed appears exactly once, and the text around them is what it was."""
        wrong = [f"{t!r} ×{after.count(t)}" for t in self.tokens if after.count(t) != 1]
        rest = after
        for token in self.tokens:
            rest = rest.replace(token, "", 1)
        if wrong:
            raise Failure(f"not exactly once (seed {self.seed}): {', '.join(wrong)}\n{self.diagnose()}")
        if rest != before:
            raise Failure(f"without the {len(self.tokens)} tokens the text is {rest!r}, was {before!r} (seed {self.seed})")
        log(f"exactly once: all {len(self.tokens)} tokens appear once in every buffer; nothing else changed")

    def check_presence(self) -> None:
        ada_plugin, bob_plugin, ada_plain, bob_plain = self.instances
        # Put the cursors somewhere definite; plain instances announce theirs by hovering.
        ada_plugin.lua("vim.api.nvim_win_set_cursor(0, {1, 0}); vim.cmd('doautocmd CursorMoved')")
        bob_plugin.lua("vim.api.nvim_win_set_cursor(0, {2, 0}); vim.cmd('doautocmd CursorMoved')")

        def labels(instance: Instance, peer: str):
            found = instance.lua("return mesh_test.extmark_labels()")
            return any(peer in label for label in found) and found

        for instance, peer, mover in ((ada_plugin, "Bob", bob_plugin), (bob_plugin, "Ada", ada_plugin)):
            def moved_and_seen(instance=instance, peer=peer, mover=mover):
                row = self.rng.randint(1, 3)
                mover.lua("vim.api.nvim_win_set_cursor(0, ...); vim.cmd('doautocmd CursorMoved')", [row, 0])
                return labels(instance, peer)
            found = wait_until(moved_and_seen, 15, interval=0.3,
                               what=f"{instance.name} to draw {peer}'s cursor (an extmark labelled {peer})")
            log(f"{instance.name}: extmark labels {found}")

        for instance, peer, mover in ((ada_plain, "Bob", bob_plain), (bob_plain, "Ada", ada_plain)):
            def hinted(instance=instance, peer=peer, mover=mover):
                mover.lua("vim.api.nvim_win_set_cursor(0, {3, 0}); return mesh_test.hover_here()")
                found = instance.lua("return mesh_test.inlay_labels()")
                if isinstance(found, dict):
                    raise Failure(f"{instance.name}: inlayHint request failed: {found}")
                return any(peer in label for label in found) and found
            found = wait_until(hinted, 15, interval=0.3,
                               what=f"{instance.name} to get an inlay hint labelled {peer}")
            log(f"{instance.name}: inlay hint labels {found}")

        # A selection: the plugin instances highlight it, plain ones get a hint diagnostic.
        mode = bob_plugin.lua("return mesh_test.select(2, 0, 'jl')")
        assert mode == "v", f"bob-plugin is in mode {mode!r}, not visual"
        bob_plugin.lua("vim.cmd('doautocmd CursorMoved')")
        marks = wait_until(lambda: ada_plugin.lua("return mesh_test.selection_marks()"), 15, interval=0.2,
                           what="ada-plugin to highlight Bob's selection")
        log(f"ada-plugin: {marks} selection highlight(s)")
        found = wait_until(lambda: [m for m in ada_plain.lua("return mesh_test.selection_diagnostics()") if "Bob" in m],
                           15, interval=0.2, what="ada-plain to get a hint diagnostic for Bob's selection")
        log(f"ada-plain: selection diagnostics {found}")
        bob_plugin.lua("vim.api.nvim_feedkeys(vim.api.nvim_replace_termcodes('<Esc>', true, false, true), 'x', false)")

    def check_commands(self) -> None:
        """The plugin's :Mesh* commands, end to end through mesh lsp and the server."""
        ada_plugin, bob_plugin, ada_plain, bob_plain = self.instances
        nonce = f"n{self.seed % 100000}"

        ada_plugin.nvim.command(f"MeshChat hello from Ada {nonce}")
        for peer in (bob_plugin, bob_plain):
            wait_until(lambda peer=peer: nonce in peer.lua("return mesh_test.messages()"), 15, interval=0.2,
                       what=f"{peer.name} to show Ada's chat message")
        log("chat: :MeshChat reached both of Bob's editors as a message")

        ada_plugin.lua("vim.api.nvim_win_set_cursor(0, {1, 0})")
        ada_plugin.nvim.command(f"MeshAnnotate note {nonce}")
        found = wait_until(lambda: [m for m in bob_plain.lua("return mesh_test.annotation_diagnostics()") if nonce in m],
                           15, interval=0.2, what="bob-plain to get Ada's annotation as a diagnostic")
        log(f"annotate: bob-plain shows {found}")

        ada_plugin.nvim.command("MeshFollow Bob")
        lines = bob_plugin.lua("return vim.api.nvim_buf_line_count(0)")
        target = max(1, lines - 1)

        def followed():
            bob_plugin.lua("vim.api.nvim_win_set_cursor(0, ...); vim.cmd('doautocmd CursorMoved')", [target, 0])
            return ada_plugin.lua("return vim.api.nvim_win_get_cursor(0)[1]") == target
        wait_until(followed, 15, interval=0.3, what=f"ada-plugin, following Bob, to jump to line {target}")
        ada_plugin.nvim.command("MeshFollow")
        log(f"follow: ada-plugin's cursor followed Bob to line {target}")

        ada_plugin.lua("vim.fn.setreg('\"', '')")
        ada_plugin.nvim.command("MeshInvite viewer")
        code = wait_until(lambda: ada_plugin.lua("return vim.fn.getreg('\"')"), 15, interval=0.2,
                          what=":MeshInvite to put an invite code in the unnamed register")
        log(f"invite: :MeshInvite viewer gave code {code}")

        dap = ada_plugin.lua("return mesh_test.dap_with_stub()")
        assert dap["ok"] and dap["adapter"]["type"] == "executable" and dap["adapter"]["args"] == ["dap"], dap
        assert any(c.get("type") == "mesh" and c.get("request") == "launch" for c in dap["go"]), dap
        log(f"dap: adapter {dap['adapter']['command']} {dap['adapter']['args']}, Go configuration registered")

    def check_crlf(self) -> None:
        """A CRLF file keeps its line endings: Neovim edits it as fileformat=dos, the server's
        text keeps \\r\\n, the peer sees the edit."""
        ada, bob = self.instances[2], self.instances[3]
        for instance, folder in ((ada, self.ada_dir), (bob, self.bob_dir)):
            instance.lua("""vim.cmd.edit(vim.fn.fnameescape(...))
                           vim.lsp.buf_attach_client(0, vim.lsp.get_clients({ name = 'mesh' })[1].id)""",
                         str(folder / CRLF_FILE))
            assert instance.lua("return vim.bo.fileformat") == "dos"
        wait_until(lambda: ada.ready() and bob.ready(), 20, what="both plain editors to attach dos.txt")
        ada.lua("vim.api.nvim_buf_set_lines(0, 1, 1, true, { 'middle 中文' })")
        expected = "first 🎉\r\nmiddle 中文\r\nsecond\r\n"
        wait_until(lambda: self.server_text(CRLF_FILE) == expected, 20, interval=0.2,
                   what=f"the server's {CRLF_FILE} to be {expected!r}")
        wait_until(lambda: bob.lua("return vim.api.nvim_buf_get_lines(0, 0, -1, true)") ==
                           ["first 🎉", "middle 中文", "second"] and bob.lua("return vim.bo.fileformat") == "dos",
                           20, interval=0.2, what="bob-plain to show the CRLF edit")
        for instance in (ada, bob):
            instance.lua("vim.cmd.buffer(vim.fn.bufnr(...))", SHARED_FILE)
        log(f"crlf: {CRLF_FILE} kept CRLF on the server; Bob's Neovim (fileformat=dos) shows the edit")

    def check_share_from_editor(self) -> None:
        """:MeshShare in a folder that is not shared yet: the plugin runs `mesh share`, then
        starts mesh lsp for the open buffer."""
        folder = self.root / "ada-fresh"
        folder.mkdir()
        (folder / "notes.txt").write_text("fresh notes 📝\n", encoding="utf-8")
        fresh = Instance(name="ada-fresh", account=self.ada, folder=folder, plugin=True,
                         nvim_bin=self.args.nvim, mesh=self.args.mesh, root=self.root)
        fresh.start("notes.txt")
        self.extra.append(fresh)
        assert not fresh.ready(), "mesh lsp attached in a folder that is not shared"
        fresh.lua("vim.cmd.cd(...)", str(folder))
        fresh.nvim.command("MeshShare")
        wait_until(fresh.ready, 30, interval=0.2, what=":MeshShare to share the folder and attach mesh lsp")
        assert (folder / ".mesh" / "session.json").exists()
        messages = fresh.lua("return mesh_test.messages()")
        assert "mesh join" in messages, f"no invite shown after :MeshShare: {messages[-300:]}"
        log("share: :MeshShare shared a fresh folder, attached mesh lsp and showed the invite")

    def check_editor_exit(self) -> None:
        """An editor that dies without shutdown (SIGKILL) closes mesh lsp's stdin: it must exit."""
        victim = self.instances[3]
        lsp = victim.children()
        assert lsp, f"{victim.name} has no child process (no mesh lsp?)"
        os.kill(victim.pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(alive(pid) for pid in lsp):
            time.sleep(0.1)
        left = [pid for pid in lsp if alive(pid)]
        if left:
            for pid in left:
                os.kill(pid, signal.SIGKILL)
            raise Failure(f"mesh lsp (pid {left}) still running 10 s after its editor was killed (stdin at EOF)")
        log(f"{victim.name} killed: its mesh lsp exited")

    # -- benchmarks ------------------------------------------------------------------------

    def bench_latency(self, source: Instance, target: Instance, samples: int = 50) -> None:
        latencies = []
        for i in range(samples):
            marker = f"M{source.name}{self.seed % 10000}x{i}Z"
            start = time.perf_counter()
            source.lua("vim.api.nvim_buf_set_text(0, 0, 0, 0, 0, { ... })", marker)
            deadline = start + 10
            while time.perf_counter() < deadline:
                if target.lua("return vim.api.nvim_buf_get_lines(0, 0, 1, true)[1]:find(..., 1, true) ~= nil", marker):
                    latencies.append((time.perf_counter() - start) * 1000)
                    break
                time.sleep(0.001)
            else:
                log(f"bench: marker {i} never arrived")
            # Longer than Neovim's didChange debounce (it shortens the wait when the last
            # didChange is older than the debounce): each sample is a lone keystroke.
            time.sleep(0.2)
        if latencies:
            latencies.sort()
            p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))]
            debounce = source.lua("return mesh_test.client().flags.debounce_text_changes or 150")
            log(f"BENCH keystroke-to-peer latency {source.name} → {target.name} ({len(latencies)} samples, "
                f"didChange debounce {debounce} ms): p50 {p(0.5):.1f} ms, p99 {p(0.99):.1f} ms, "
                f"mean {statistics.mean(latencies):.1f} ms")

    def bench_open_big(self) -> None:
        holder, opener = self.instances[2], self.instances[1]  # ada-plain has it open first
        # A plain client attaches only where it is told to: attach the new buffer by hand.
        holder.lua("""vim.cmd.edit(vim.fn.fnameescape(...))
                      vim.lsp.buf_attach_client(0, vim.lsp.get_clients({ name = 'mesh' })[1].id)""",
                   str(self.ada_dir / BIG_FILE))
        wait_until(holder.ready, 60, what="ada-plain to attach big.txt")
        start = time.perf_counter()
        opener.lua("vim.cmd.edit(vim.fn.fnameescape(...))", str(self.bob_dir / BIG_FILE))
        edited = time.perf_counter()
        wait_until(opener.ready, 60, interval=0.01, what="bob-plugin to attach big.txt")
        attached = time.perf_counter()
        marker = f"BIG{self.seed % 10000}MARK"
        opener.lua("vim.api.nvim_buf_set_text(0, 0, 0, 0, 0, { ... })", marker)
        wait_until(lambda: holder.lua("return vim.api.nvim_buf_get_lines(0, 0, 1, true)[1]:find(..., 1, true) ~= nil",
                                      marker), 60, interval=0.01, what="the first edit in big.txt to reach the peer")
        done = time.perf_counter()
        log(f"BENCH open 1 MB document: :edit {1000 * (edited - start):.0f} ms, attached {1000 * (attached - start):.0f} ms, "
            f"first edit visible to the peer {1000 * (done - start):.0f} ms after :edit")

    # -- driver ----------------------------------------------------------------------------

    def run(self) -> None:
        log(f"seed {self.seed} (re-run with --seed {self.seed}); work dir {self.root}")
        self.setup()
        threading.Thread(target=self.watch_size, args=(self.abort,), daemon=True).start()
        self.start_editors()
        self.warm_up()
        try:
            self.concurrent_same_delete()
        except Failure as error:  # the rest of the run still says something: go on
            log(f"FAIL (continuing): {error}")
            self.failures.append(str(error))
        before = self.wait_converged(20)
        self.type_concurrently()
        text = self.wait_converged(self.args.converge_timeout)
        log(f"converged: all 4 buffers equal the server's text ({len(text)} code points, {text.count(chr(10))} lines)")
        self.check_exactly_once(before, text)
        self.check_presence()
        self.check_commands()
        self.check_share_from_editor()
        self.check_crlf()
        final = self.wait_converged(20)
        assert final == self.server_text(), "server text changed after convergence"
        if self.args.bench:
            try:
                ada_plugin, bob_plugin, ada_plain, bob_plain = self.instances
                self.bench_latency(ada_plugin, bob_plugin)
                self.bench_latency(ada_plain, bob_plain)
                self.bench_open_big()
            except Failure as error:
                log(f"BENCH incomplete: {error}")
        self.check_editor_exit()
        if self.failures:
            raise Failure("; ".join(self.failures))

    def abort(self, reason: str) -> None:
        """Ends the run from another thread: kills every process the test started, keeps the work dir."""
        print(f"FAIL (seed {self.seed}): {reason}; work dir {self.root}", flush=True)
        pids = [pid for i in self.instances + self.extra if i.pid for pid in [*i.children(), i.pid]]
        if self.server:
            pids.append(self.server.process.pid)
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        os._exit(1)

    def cleanup(self, keep: bool, hard: bool = False) -> None:
        self.done.set()
        """Quits every editor (SIGKILL after a failure: it may be stuck) and the server."""
        everyone = self.instances + self.extra
        lsp = [pid for instance in everyone if instance.nvim for pid in instance.children()]
        for instance in everyone:
            if hard and instance.nvim is not None and alive(instance.pid):
                os.kill(instance.pid, signal.SIGKILL)
            instance.close()
        reap(lsp, self.server, self.root, keep)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mesh", default=os.environ.get("MESH_BIN", str(REPO / ".build" / "debug" / "mesh")))
    parser.add_argument("--nvim", default=os.environ.get("NVIM_BIN", "nvim"))
    parser.add_argument("--seed", type=int)
    parser.add_argument("--duration", type=float, default=5.0, help="seconds of concurrent typing")
    parser.add_argument("--pace", type=float, default=30.0, help="longest pause between edits, ms")
    parser.add_argument("--converge-timeout", type=float, default=60.0)
    parser.add_argument("--bench", action="store_true", help="also print latency and 1 MB open time")
    parser.add_argument("--lsp-log", default="warn", help="Neovim's LSP log level (debug logs every message)")
    parser.add_argument("--tap", action="store_true", help="record every LSP message (trace-*.jsonl in the work dir)")
    parser.add_argument("--versioned-edits", action="store_true",
                        help="plain instances advertise workspaceEdit.documentChanges too (as the plugin does)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args()

    try:
        import pynvim  # noqa: F401
    except ImportError:
        skip_or_fail("pynvim is not installed (scripts/editor-tests.sh creates a venv with it)")
    args.nvim = shutil.which(args.nvim) or args.nvim
    if not os.access(args.nvim, os.X_OK):
        skip_or_fail(f"nvim not found at {args.nvim}")
    if not os.access(args.mesh, os.X_OK):
        skip_or_fail(f"mesh binary not found at {args.mesh} (swift build, or set MESH_BIN)")
    probe = subprocess.run([args.mesh, "lsp", "--help"], capture_output=True, text=True)
    if probe.returncode != 0 or "mesh lsp" not in probe.stdout + probe.stderr:
        skip_or_fail(f"{args.mesh} has no `lsp` subcommand yet")

    time_limit = int(args.duration + args.converge_timeout + (300 if args.bench else 180))
    test = E2E(args)

    # A hung editor, mesh lsp or server must not hang CI. A signal cannot interrupt a blocked
    # pynvim request, so a watchdog thread kills every process the test started and exits.
    def watchdog() -> None:
        test.abort(f"the whole test exceeded {time_limit}s")

    timer = threading.Timer(time_limit, watchdog)
    timer.daemon = True
    timer.start()
    ok = False
    try:
        test.run()
        ok = True
    except (Failure, AssertionError) as error:
        print(f"FAIL (seed {test.seed}): {error}", flush=True)
    except Exception as error:  # pynvim errors and the like: still a failure, with the seed
        import traceback
        traceback.print_exc()
        print(f"FAIL (seed {test.seed}): {type(error).__name__}: {error}", flush=True)
    finally:
        test.cleanup(keep=args.keep or not ok, hard=not ok)
        timer.cancel()
    if ok:
        print(f"PASS (seed {test.seed})", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
