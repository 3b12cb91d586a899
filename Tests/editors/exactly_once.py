#!/usr/bin/env python3
"""Exactly once in real Neovim: concurrent typing through `mesh lsp` never doubles or drops text.

One real `mesh serve` on 127.0.0.1; Ada shares a folder, Bob joins it. Each run opens a new
file in two to four headless Neovim 0.11 instances (Ada and Bob in turn; with the editors/nvim
plugin or a plain `vim.lsp.start`; `debounce_text_changes` 0, 50 or 150 ms), and every
instance inserts unique tokens (`<n1t7>`) at random places, never inside another token, with
`nvim_buf_set_text` or typed in insert mode, sometimes waiting until the token reached every
other editor, sometimes going on after 0, 10 or 50 ms. After 3 s of quiet every buffer and the
server's text must hold every token exactly once, and nothing else changed.

  exactly_once.py                 # the CI matrix: six runs covering each setting (seeds printed)
  exactly_once.py --stress 200    # 200 runs of random settings; prints how many failed
  exactly_once.py --seed 42       # one run, replayed from its seed (timing still varies)

Exit status: 0 when every run passed. Under CI=true a missing component is a failure.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mesh_fixture import Account, Failure, Server, log, run_mesh  # noqa: E402
from nvim_instance import REPO, Instance, wait_until, missing_components  # noqa: E402

CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
logging.getLogger("asyncio").setLevel(logging.ERROR)

INITIAL = "package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Println(\"héllo 🎉\")\n}\n"
QUIET_SECONDS = 3.0


@dataclass
class Setting:
    """One run: which instances, how they type."""
    plugins: list[bool]          # per instance: editors/nvim plugin, or plain vim.lsp.start
    debounces: list[int]         # per instance: debounce_text_changes, ms
    how: str                     # "set_text", "keys" or "mixed"
    tokens: int                  # tokens per instance

    def describe(self) -> str:
        kinds = ", ".join(f"{'plugin' if p else 'plain'}/{d}ms" for p, d in zip(self.plugins, self.debounces))
        return f"{len(self.plugins)} instances ({kinds}), {self.how}, {self.tokens} tokens each"


# The CI matrix: every debounce with and without the plugin, both ways of typing, 2 to 4 editors.
MATRIX = [
    Setting([False, False], [150, 150], "set_text", 20),
    Setting([False, False], [0, 0], "mixed", 20),
    Setting([True, True], [50, 50], "mixed", 20),
    Setting([False, False], [50, 50], "keys", 20),
    Setting([True, False, True], [0, 150, 150], "mixed", 15),
    Setting([True, False, False, True], [150, 50, 0, 0], "mixed", 12),
]


def random_setting(rng: random.Random) -> Setting:
    n = rng.randint(2, 4)
    return Setting([rng.random() < 0.5 for _ in range(n)], [rng.choice([0, 50, 150]) for _ in range(n)],
                   rng.choice(["set_text", "keys", "mixed"]), rng.randint(10, 25))


class World:
    """The server and the two accounts, shared by every run of one invocation."""

    def __init__(self, mesh: str, nvim: str, root: Path):
        self.mesh, self.nvim, self.root = mesh, nvim, root
        self.server = Server(mesh, root)
        self.ada = self.signup("ada", "Ada")
        self.bob = self.signup("bob", "Bob")
        self.ada_dir = root / "ada-project"
        self.ada_dir.mkdir()
        (self.ada_dir / "README.md").write_text("shared\n", encoding="utf-8")
        shared = run_mesh(mesh, ["share", str(self.ada_dir), "--server", self.server.url], self.ada.home)
        self.session = shared["session"]["id"]
        self.bob_dir = root / "bob-project"
        run_mesh(mesh, ["join", shared["invite"]["code"], str(self.bob_dir), "--server", self.server.url], self.bob.home)
        log(f"server {self.server.url}, session {self.session}")

    def signup(self, key: str, name: str) -> Account:
        home = self.root / f"home-{key}"
        run_mesh(self.mesh, ["signup", "--email", f"{key}@example.test", "--name", name, "--password-stdin",
                             "--server", self.server.url], home, stdin=f"{key} password 123\n")
        return Account(home=home, name=name, mesh=self.mesh, server=self.server.url)

    def server_text(self, path: str) -> str | None:
        for document in self.ada.get(f"/v1/sessions/{self.session}/documents"):
            if document["path"] == path:
                return self.ada.get(f"/v1/sessions/{self.session}/documents/{document['id']}")["text"]
        return None

    def close(self) -> None:
        self.server.stop()


def run(world: World, number: int, seed: int, setting: Setting) -> None:
    """One run; raises Failure with what was wrong."""
    rng = random.Random(seed)
    path = f"run-{number}.txt"
    for folder in (world.ada_dir, world.bob_dir):
        (folder / path).write_text(INITIAL, encoding="utf-8")
    instances: list[Instance] = []
    try:
        for i, (plugin, debounce) in enumerate(zip(setting.plugins, setting.debounces)):
            account, folder = (world.ada, world.ada_dir) if i % 2 == 0 else (world.bob, world.bob_dir)
            instance = Instance(name=f"n{i}-{account.name.lower()}-{'plugin' if plugin else 'plain'}-{debounce}",
                                account=account, folder=folder, plugin=plugin, nvim_bin=world.nvim,
                                mesh=world.mesh, root=world.root, debounce=debounce)
            instance.start(path)
            instances.append(instance)
            wait_until(instance.ready, 30, what=f"{instance.name} to attach mesh lsp")
            if i == 0:  # Ada's first editor brings the new file into the session
                wait_until(lambda: world.server_text(path) == INITIAL, 30, interval=0.1,
                           what=f"{path} to join the session")
        wait_until(lambda: all(i.text() == INITIAL for i in instances), 30, interval=0.1,
                   what="every editor to show the file")

        expected: list[str] = []
        counters = [0] * len(instances)
        total = setting.tokens * len(instances)
        while len(expected) < total:
            k = rng.choice([j for j in range(len(instances)) if counters[j] < setting.tokens])
            token = f"<n{k}t{counters[k]}>"
            counters[k] += 1
            how = setting.how if setting.how != "mixed" else rng.choice(["set_text", "keys"])
            instances[k].lua("mesh_test.insert_token(...)", token, rng.random(), rng.random(), how)
            expected.append(token)
            pause = rng.choice(["wait", 0, 0, 10, 50])
            if pause == "wait":
                try:
                    wait_until(lambda: all(token in other.text() for other in instances), 20, interval=0.02,
                               what=f"{token} to reach every editor")
                except Failure as error:
                    missing = [i.name for i in instances if token not in i.text()]
                    server = world.server_text(path) or ""
                    raise Failure(f"{error}: missing in {missing}, {'on' if token in server else 'not on'} the server; "
                                  f"texts: " + "; ".join(f"{i.name} {i.text()!r}" for i in instances) + f"; server {server!r}")
            elif pause:
                time.sleep(pause / 1000)

        texts = wait_quiet(instances, world, path)
        problems = []
        for name, text in texts.items():
            wrong = [f"{t} ×{text.count(t)}" for t in expected if text.count(t) != 1]
            rest = text
            for t in expected:
                rest = rest.replace(t, "", 1)
            if wrong:
                problems.append(f"{name}: {', '.join(wrong)}")
            elif rest != INITIAL:
                problems.append(f"{name}: without the tokens the text is {rest!r}, was {INITIAL!r}")
        if len(set(texts.values())) != 1:
            problems.append("the texts differ: " + "; ".join(f"{n} {len(t)} chars" for n, t in texts.items()))
        for instance in instances:
            messages = instance.lua("return mesh_test.messages()")
            if "Workspace edit" in messages:
                problems.append(f"{instance.name} printed Neovim's 'Workspace edit' line (an applyEdit label)")
            if instance.plugin and "newer than edits" in messages:
                problems.append(f"{instance.name}: Neovim's own handler ran under the plugin ('newer than edits')")
        if problems:
            sample = texts.get("server") or next(iter(texts.values()))
            raise Failure("; ".join(problems) + f"\n  server text: {sample!r}")
    except Failure as error:
        # What each mesh lsp told its editor (resyncs, refusals) says why.
        said = []
        for instance in instances:
            try:
                said.append(f"{instance.name}: {instance.lua('return mesh_test.messages()')[-800:]!r}")
            except Exception:
                pass
        raise Failure(f"{error}\n  messages: " + "\n    ".join(said)) from None
    finally:
        for instance in instances:
            instance.close()


def wait_quiet(instances: list[Instance], world: World, path: str, timeout: float = 60) -> dict[str, str]:
    """Every buffer and the server's text, once they have been equal and unchanged for 3 s
    (or, after `timeout`, as they are)."""
    deadline = time.monotonic() + timeout
    last: dict[str, str] = {}
    since = time.monotonic()
    while time.monotonic() < deadline:
        texts = {i.name: i.text() for i in instances}
        texts["server"] = world.server_text(path) or ""
        if texts != last:
            last, since = texts, time.monotonic()
        elif len(set(texts.values())) == 1 and time.monotonic() - since >= QUIET_SECONDS:
            return texts
        time.sleep(0.2)
    return last


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mesh", default=os.environ.get("MESH_BIN", str(REPO / ".build" / "debug" / "mesh")))
    parser.add_argument("--nvim", default=os.environ.get("NVIM_BIN", "nvim"))
    parser.add_argument("--seed", type=int, help="one run of a random setting from this seed")
    parser.add_argument("--setting", type=int, help="with --seed: the CI matrix's setting number (1-6) instead")
    parser.add_argument("--stress", type=int, help="this many runs of random settings; prints how many failed")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args()

    args.nvim = shutil.which(args.nvim) or args.nvim
    if (code := missing_components(args.nvim, args.mesh)) is not None:
        return code

    base = REPO / ".build" / "editor-tests"
    base.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="exactly-once-", dir=base))
    master = random.Random()
    if args.seed is not None:
        setting = MATRIX[args.setting - 1] if args.setting else random_setting(random.Random(args.seed))
        plan = [(args.seed, setting)]
    elif args.stress:
        plan = [(seed, random_setting(random.Random(seed))) for seed in (master.randrange(1 << 32) for _ in range(args.stress))]
    else:
        plan = [(master.randrange(1 << 32), setting) for setting in MATRIX]
    world = World(args.mesh, args.nvim, root)
    failed: list[str] = []
    try:
        for number, (seed, setting) in enumerate(plan):
            started = time.monotonic()
            try:
                run(world, number, seed, setting)
                log(f"run {number + 1}/{len(plan)} PASS seed {seed}: {setting.describe()} ({time.monotonic() - started:.1f} s)")
            except Exception as error:  # Failure, or pynvim's errors: the run failed, the others go on
                replay = f"--seed {seed}" + (f" --setting {MATRIX.index(setting) + 1}" if setting in MATRIX else "")
                failed.append(f"{replay} ({setting.describe()}): {error}")
                log(f"run {number + 1}/{len(plan)} FAIL seed {seed}: {setting.describe()}: {error}")
    finally:
        world.close()
    print(f"exactly once: {len(failed)} of {len(plan)} runs failed", flush=True)
    for failure in failed:
        print(f"FAIL {failure}", flush=True)
    if failed or args.keep:
        log(f"work folder kept: {root}")
    else:
        shutil.rmtree(root, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
