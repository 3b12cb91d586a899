"""disk_and_undo.py's checks of files changed on disk by tools: disk-plain, disk-atomic, disk-both,
disk-open, disk-new, disk-delete, disk-rename, and the start-up and half-written checks of every run."""
from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from disk_and_undo_support import DISK_SECONDS, GO_MOD, MAIN_GO, NOTES, QUIET_SECONDS, read, tool_write
from mesh_fixture import Failure, log
from nvim_instance import wait_until


class DiskChecks:
    """A base of disk_and_undo.Layout, whose folders, instances, rng, documents() and server_text(),
    converge_main() and expected_docs these use."""

    def disk_agree(self, path: str, expected: str | None, what: str, timeout: float = DISK_SECONDS) -> float:
        """Waits until Ann's and Bob's files and the server's text of `path` equal `expected`
        (None: no file, no document); returns the seconds it took."""
        started = time.monotonic()
        seen = {}

        def agree():
            seen["ann disk"] = read(self.ann_dir / path)
            seen["bob disk"] = read(self.bob_dir / path)
            seen["server"] = self.server_text(path)
            return all(v == expected for v in seen.values())
        try:
            wait_until(agree, timeout, interval=0.05, what=what)
        except Failure as error:
            detail = "; ".join(f"{k}: {'missing' if v is None else 'as expected' if v == expected else repr(v)}"
                               for k, v in seen.items())
            raise Failure(f"{error}; expected {expected!r}; {detail}") from None
        return time.monotonic() - started

    def check_disk_plain_and_atomic(self) -> None:
        self.go_mod = GO_MOD
        for how in ("plain", "atomic"):
            time.sleep(QUIET_SECONDS)
            lines = self.go_mod.split("\n")
            row = lines.index("require (") + 1
            if how == "plain":   # `go get`: a new require line
                lines.insert(row, f"\tgolang.org/x/exp v0.0.0-2024{self.rng.randrange(10**8):08d}")
            else:                # an upgrade: a changed one
                lines[row] = lines[row].split(" v")[0] + f" v0.{self.rng.randrange(20, 99)}.0"
            text = "\n".join(lines)
            tool_write(self.bob_dir / "go.mod", text, how)
            took = self.disk_agree("go.mod", text, f"go.mod, written by a tool in Bob's folder ({how}), on Ann's disk and the server")
            self.go_mod = text
            log(f"[{self.name}] disk-{how}: Bob's tool's go.mod ({'a line added' if how == 'plain' else 'a line changed'}) "
                f"on Ann's disk and the server in {took:.2f} s")
        stray = [p for p in self.documents() if p not in self.expected_docs]
        if stray:
            raise Failure(f"disk-atomic: the tool's temporary file became a document: {stray}")

    def check_disk_both(self, rounds: int = 3) -> None:
        for n in range(rounds):
            time.sleep(QUIET_SECONDS)   # the previous round's writes done (--known-bugs: half-written)
            lines = self.go_mod.split("\n")
            requires = [i for i, line in enumerate(lines) if line.startswith("\t")]
            ann_row, bob_row = self.rng.sample(requires, 2)
            ann_how, bob_how = self.rng.choice(["plain", "atomic"]), self.rng.choice(["plain", "atomic"])
            ann_line = f"{lines[ann_row].split(' v')[0]} v1.{n}.{self.rng.randrange(1000)}-ann"
            bob_line = f"{lines[bob_row].split(' v')[0]} v2.{n}.{self.rng.randrange(1000)}-bob"
            ann_text, bob_text, merged = list(lines), list(lines), list(lines)
            ann_text[ann_row] = merged[ann_row] = ann_line
            bob_text[bob_row] = merged[bob_row] = bob_line
            old = (lines[ann_row], lines[bob_row])
            expected = "\n".join(merged)
            barrier = threading.Barrier(2)
            errors = []

            def tool(folder: Path, text: list[str], how: str) -> None:
                try:
                    barrier.wait(5)
                    tool_write(folder / "go.mod", "\n".join(text), how)
                except Exception as error:  # noqa: BLE001 - reported below
                    errors.append(error)
            threads = [threading.Thread(target=tool, args=(self.ann_dir, ann_text, ann_how)),
                       threading.Thread(target=tool, args=(self.bob_dir, bob_text, bob_how))]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            if errors:
                raise Failure(f"disk-both: a tool failed: {errors}")
            try:
                took = self.disk_agree("go.mod", expected, f"both tools' go.mod lines everywhere (round {n + 1}: "
                                       f"Ann {ann_how} line {ann_row + 1}, Bob {bob_how} line {bob_row + 1})",
                                       timeout=2 * DISK_SECONDS)
            except Failure as error:
                counts = []
                for where, text in (("ann disk", read(self.ann_dir / "go.mod")), ("bob disk", read(self.bob_dir / "go.mod")),
                                    ("server", self.server_text("go.mod"))):
                    text = text or ""
                    counts.append(f"{where}: Ann's line ×{text.count(ann_line)}, Bob's ×{text.count(bob_line)}, "
                                  f"old lines ×{text.count(old[0] + chr(10))}/×{text.count(old[1] + chr(10))}")
                raise Failure(f"{error}\n  {'; '.join(counts)}") from None
            self.go_mod = expected
            log(f"[{self.name}] disk-both round {n + 1}: Ann's tool ({ann_how}, line {ann_row + 1}) and Bob's ({bob_how}, "
                f"line {bob_row + 1}) at once: both lines once on both disks and the server in {took:.2f} s")

    def check_disk_open(self) -> None:
        a = self.a
        a.lua("mesh_disk.open(...)", str(self.ann_dir / "notes.md"), a.plugin)
        wait_until(a.ready, 20, what=f"{a.name} to attach notes.md")
        notes = self.server_text("notes.md")   # after the startup check's change to it
        if a.text() != notes:
            raise Failure(f"disk-open: Ann's notes.md buffer holds {a.text()!r}, the session {notes!r}")
        tool_text = notes + "a line a tool wrote on Ann's disk\n"
        tool_write(self.ann_dir / "notes.md", tool_text, self.rng.choice(["plain", "atomic"]))
        time.sleep(3)
        found = {"server": self.server_text("notes.md"), "bob disk": read(self.bob_dir / "notes.md"), "ann buffer": a.text()}
        wrong = {k: v for k, v in found.items() if v != notes}
        if wrong:
            raise Failure(f"disk-open: a tool's change to notes.md, open in Ann's Neovim, was taken: {wrong} (expected {notes!r})")
        # The buffer is what is shared: Ann types, and her buffer's text (not the disk's) goes out.
        typed = "typed in Ann's buffer"
        a.lua("vim.api.nvim_buf_set_lines(0, -1, -1, true, { ... })", typed)
        buffer = a.text()
        if typed not in buffer:
            raise Failure(f"disk-open: Ann's typing did not land: {buffer!r}")
        wait_until(lambda: self.server_text("notes.md") == buffer and read(self.bob_dir / "notes.md") == buffer,
                   DISK_SECONDS, interval=0.05, what="Ann's notes.md buffer on the server and Bob's disk")
        if read(self.ann_dir / "notes.md") != tool_text:
            raise Failure(f"disk-open: Ann's notes.md on disk was rewritten while open: {read(self.ann_dir / 'notes.md')!r}")
        a.lua("vim.cmd.buffer(vim.fn.bufnr(...))", str(self.ann_dir / "main.go"))
        wait_until(a.ready, 10, what=f"{a.name} back in main.go")
        log(f"[{self.name}] disk-open: a tool's change to notes.md open in Ann's Neovim was not taken; her buffer's "
            f"typing reached the server and Bob's disk")

    def check_disk_new_and_delete(self) -> None:
        # Ignored first: by the time the new files are everywhere, this one had its chance.
        tool_write(self.bob_dir / "debug.log", "ignored by .gitignore\n", "plain")
        tag = f"{self.rng.randrange(16**6):06x}"
        new = {f"gen_{tag}.go": f"package main\n\n// generated {tag}\nconst Gen = \"{tag}\"\n",
               f"internal/gen{tag}/gen.go": f"package gen{tag}\n\n// generated in a new folder\n"}
        for path, text in new.items():
            tool_write(self.bob_dir / path, text, self.rng.choice(["plain", "atomic"]))
        for path, text in new.items():
            took = self.disk_agree(path, text, f"{path}, created in Bob's folder, on Ann's disk and the server")
            log(f"[{self.name}] disk-new: {path} on Ann's disk and the server within {took:.2f} s")
            self.expected_docs.add(path)
        time.sleep(1)
        if (self.ann_dir / "debug.log").exists() or "debug.log" in self.documents():
            raise Failure("disk-new: debug.log, ignored by .gitignore, reached Ann's disk or the session")
        (self.bob_dir / "old.txt").unlink()
        took = self.disk_agree("old.txt", None, "old.txt, deleted in Bob's folder, gone from Ann's disk and the session")
        self.expected_docs.discard("old.txt")
        log(f"[{self.name}] disk-delete: old.txt gone from Ann's disk and the session within {took:.2f} s; "
            f"debug.log (ignored) stayed in Bob's folder")
        docs = set(self.documents())
        if docs != self.expected_docs:
            raise Failure(f"the session holds {sorted(docs)}, expected {sorted(self.expected_docs)}")
        # And main.go, open in both editors all along, was never touched by any of it.
        self.converge_main(MAIN_GO)

    def check_disk_rename(self) -> None:
        """A file renamed on disk (one rename(2), as `mv` and `git mv` do) in Bob's folder, then
        one in Ann's: the document is renamed (same id at the new path), both disks end with the
        file at the new path with its text, nothing at the old one."""
        docs = self.documents()
        moves = []
        for path in sorted(self.expected_docs):
            if path.startswith("gen_"):
                moves.append(("Bob", self.bob_dir, path, path.replace("gen_", "renamed_", 1)))
            elif path.startswith("internal/"):
                moves.append(("Ann", self.ann_dir, path, path.rsplit("/", 1)[0] + "/moved.go"))
        if len(moves) != 2:
            raise Failure(f"disk-rename: expected a gen_*.go and an internal/… file, the session has {sorted(docs)}")
        for who, folder, old, new in moves:
            time.sleep(QUIET_SECONDS)
            text = read(folder / old)
            os.rename(folder / old, folder / new)
            took = self.disk_agree(new, text, f"{old}, renamed to {new} in {who}'s folder, at the new path everywhere")
            self.disk_agree(old, None, f"{old}, renamed in {who}'s folder, gone from both disks and the session")
            after = self.documents()
            if after.get(new) != docs[old]:
                raise Failure(f"disk-rename: {new} is document {after.get(new)}, {old} was {docs[old]}: "
                              f"a deletion and a new document, not a rename")
            self.expected_docs.discard(old)
            self.expected_docs.add(new)
            log(f"[{self.name}] disk-rename: {old} renamed to {new} in {who}'s folder: the same document at the new "
                f"path on both disks and the server within {took:.2f} s")
        docs = set(self.documents())
        if docs != self.expected_docs:
            raise Failure(f"the session holds {sorted(docs)}, expected {sorted(self.expected_docs)}")

    def check_startup(self) -> list[str]:
        """--known-bugs: Bob's go.mod changed while no mesh lsp ran (before his editor started), and
        notes.md changed by a tool the moment both editors attached. Neither change may be lost:
        each must reach the session (both disks, the server) or be kept in Bob's .mesh/conflicts."""
        notes = NOTES + "a tool's line, written as the editors attached\n"
        tool_write(self.bob_dir / "notes.md", notes, "plain")
        time.sleep(DISK_SECONDS)
        problems = []
        for path, text, when in (("go.mod", self.offline_go_mod, "before Bob's editor started"),
                                 ("notes.md", notes, "as the editors attached")):
            found = {"ann disk": read(self.ann_dir / path), "bob disk": read(self.bob_dir / path),
                     "server": self.server_text(path)}
            kept = [c.name for c in (self.bob_dir / ".mesh" / "conflicts").glob(path + ".*") if c.read_text() == text]
            if all(v == text for v in found.values()) or kept:
                log(f"[{self.name}] startup: Bob's tool's {path} ({when}) " + (f"kept as {kept}" if kept else "in the session"))
                continue
            problems.append(f"Bob's tool's change to {path} ({when}) is lost: " + "; ".join(
                f"{k} {'has it' if v == text else 'missing' if v is None else 'has the session text' if v in (GO_MOD, NOTES) else repr(v)}"
                for k, v in found.items()) + "; no copy in Bob's .mesh/conflicts")
        return [f"startup: {p}" for p in problems]

    def check_half_written(self) -> list[str]:
        """--known-bugs: a tool in Ann's folder truncates go.mod and writes its new text 0.5 s later
        (a generator behind `>`, a slow formatter); meanwhile Bob's tool changes another line. The
        end must be both changes, as when the tools are quick."""
        lines = self.go_mod.split("\n") if hasattr(self, "go_mod") else GO_MOD.split("\n")
        requires = [i for i, line in enumerate(lines) if line.startswith("\t")]
        ann_row, bob_row = requires[0], requires[3]
        ann, bob, merged = list(lines), list(lines), list(lines)
        ann[ann_row] = merged[ann_row] = lines[ann_row].split(" v")[0] + " v9.9.9-slow-ann"
        bob[bob_row] = merged[bob_row] = lines[bob_row].split(" v")[0] + " v8.8.8-bob"
        expected = "\n".join(merged)
        with open(self.ann_dir / "go.mod", "w", encoding="utf-8") as f:   # truncated now
            tool_write(self.bob_dir / "go.mod", "\n".join(bob), "atomic")
            time.sleep(0.5)
            f.write("\n".join(ann))
        try:
            took = self.disk_agree("go.mod", expected, "both tools' lines (Ann's written slowly) everywhere")
            log(f"[{self.name}] half-written: both lines everywhere in {took:.2f} s")
            return []
        except Failure as error:
            return [f"half-written: {error}"]
