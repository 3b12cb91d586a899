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

The checks of the shared text are in neovim_e2e_sync.py, those of cursors, selections, the
:Mesh* commands and :MeshShare in neovim_e2e_features.py.

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
from neovim_e2e_features import FeatureChecks  # noqa: E402
from neovim_e2e_sync import CRLF_FILE, SHARED_FILE, SyncChecks  # noqa: E402

CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
# pynvim's child watcher complains (through asyncio's logger) when an embedded Neovim exits
# after its event loop closed; that is how every instance ends here, so it is noise.
logging.getLogger("asyncio").setLevel(logging.ERROR)

BIG_FILE = "big.txt"
INITIAL_TEXT = "package main\n\n// héllo wörld 🎉 中文 e\u0301\nfunc main() {\n\tprintln(\"hi\")\n}\n"
# shared.txt starts at ~60 bytes and a run types a few KB; past this something duplicates edits.
BLOW_UP_BYTES = 1_000_000


def skip_or_fail(message: str) -> None:
    if CI:
        print(f"FAIL: {message} (CI=true: a missing component is a failure)", flush=True)
        sys.exit(1)
    print(f"SKIP: {message}", flush=True)
    sys.exit(0)


# ---------------------------------------------------------------------------------------------
# The test


class E2E(SyncChecks, FeatureChecks):
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
