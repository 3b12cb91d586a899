"""A real `mesh serve` on 127.0.0.1 and accounts driven through the `mesh` CLI, for the editor
end-to-end tests (Tests/editors). No MESH_* variable of the caller leaks into a run."""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path


class Failure(Exception):
    pass


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MESH_")}
    env.update(extra)
    return env


def run_mesh(mesh: str, args: list[str], home: Path, stdin: str | None = None) -> dict:
    result = subprocess.run([mesh, *args, "--json"], input=stdin, capture_output=True, text=True,
                            env=clean_env(MESH_HOME=str(home)), timeout=60)
    if result.returncode != 0:
        raise Failure(f"mesh {' '.join(args)} exited {result.returncode}: {result.stderr.strip()}")
    try:
        return json.loads(result.stdout)
    except json.JSONDecodeError as error:
        raise Failure(f"mesh {' '.join(args)} printed no JSON ({error}): stdout {result.stdout[:300]!r} stderr {result.stderr[:300]!r}")


class Server:
    """`mesh serve --port 0` on 127.0.0.1 with its own data folder."""

    def __init__(self, mesh: str, root: Path, extra_args: list[str] | None = None):
        self.data = root / "data"
        self.data.mkdir()
        self.log_path = root / "server.log"
        self._log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            [mesh, "serve", "--host", "127.0.0.1", "--port", "0", "--data-dir", str(self.data),
             "--bcrypt-cost", "4", *(extra_args or [])],
            stdout=subprocess.PIPE, stderr=self._log, stdin=subprocess.DEVNULL, text=True,
            env=clean_env())
        self.url = ""
        found = threading.Event()

        def read() -> None:
            assert self.process.stdout
            for line in self.process.stdout:
                if "listening on " in line and not self.url:
                    self.url = line.split("listening on ", 1)[1].strip()
                    found.set()

        threading.Thread(target=read, daemon=True).start()
        if not found.wait(60):
            self.stop()
            raise Failure(f"mesh serve did not report listening; log: {self.log_path.read_text()[-2000:]}")
        if not self.url.startswith("http://127.0.0.1:"):
            raise Failure(f"unexpected server URL {self.url}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


@dataclass
class Account:
    home: Path
    name: str
    mesh: str
    server: str

    def token(self) -> str:
        # mesh lsp may be rotating the tokens right now (the file is replaced atomically, but
        # read twice before giving up).
        for attempt in range(5):
            try:
                data = json.loads((self.home / "credentials.json").read_text())
                break
            except json.JSONDecodeError:
                if attempt == 4:
                    raise
                time.sleep(0.05)
        # The file holds one server's credentials (or a map of them); accept either shape.
        if "accessToken" in data:
            return data["accessToken"]
        for value in data.values() if isinstance(data, dict) else []:
            if isinstance(value, dict) and value.get("accessToken"):
                return value["accessToken"]
        raise Failure(f"no access token in {self.home / 'credentials.json'}")

    def refresh(self) -> None:
        # Any authenticated verb refreshes an expired access token and stores the new one.
        run_mesh(self.mesh, ["session", "list", "--server", self.server], self.home)

    def get(self, path: str):
        for attempt in range(2):
            request = urllib.request.Request(self.server + path,
                                             headers={"Authorization": f"Bearer {self.token()}"})
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    return json.loads(response.read())
            except urllib.error.HTTPError as error:
                if error.code == 401 and attempt == 0:
                    self.refresh()
                    continue
                raise Failure(f"GET {path}: HTTP {error.code} {error.read()[:300]!r}")
        raise AssertionError("unreachable")
