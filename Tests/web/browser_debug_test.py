"""The run and debug panels in real headless Chromium (Debian's chromium and chromium-driver,
Selenium from PyPI) against the real `mesh serve` ($MESH_BIN, default .build/debug/mesh) with
the sandbox on: it needs a running dockerd (scripts/docker-daemon.sh start) and the runtime
image (`mesh runtime build`), as the debug suites do.

An editor signs up in the page, creates a session with a small Go program, runs it (its output
streams into the run panel, then its exit code), sets a breakpoint by clicking the editor's
gutter, starts the debugger, stops at the breakpoint (the line is highlighted, a variable's
value shows), steps over, continues to the end. A viewer who joins meanwhile watches the same
stop and cannot control it. Under CI=true a missing component fails, never skips.

The server serves the checkout's Sources/MeshServer/Resources/web (the binary is linked into a
temporary folder beside a copy of them: SwiftPM's Bundle.module looks next to the executable
first), so the test checks the page being edited with whatever binary runs it.

    python3 Tests/web/browser_debug_test.py [--screenshots DIR] [--keep]
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
CI = os.environ.get("CI", "") in ("true", "1", "yes")


def missing(what):
    print(f"browser_debug_test: {what} is missing", file=sys.stderr)
    sys.exit(1 if CI else 0)


try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException, TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:
    missing("selenium (pip install selenium)")
CHROMIUM = shutil.which("chromium") or missing("chromium (apt-get install chromium)")
DRIVER = shutil.which("chromedriver") or missing("chromedriver (apt-get install chromium-driver)")
MESH_BIN = os.path.abspath(os.environ.get("MESH_BIN") or os.path.join(REPO, ".build", "debug", "mesh"))
if not os.access(MESH_BIN, os.X_OK):
    missing(f"the mesh binary ({MESH_BIN}; set MESH_BIN or swift build)")
DOCKER_SOCKET = os.environ.get("MESH_DOCKER_SOCKET", "/var/run/docker.sock")


def docker(*args):
    return subprocess.run(["docker", "-H", f"unix://{DOCKER_SOCKET}", *args], capture_output=True, text=True, timeout=60)


if not shutil.which("docker") or docker("version", "--format", "{{.Server.Version}}").returncode != 0:
    missing(f"a running dockerd on {DOCKER_SOCKET} (scripts/docker-daemon.sh start)")
if docker("image", "ls", "-q", "mesh-runtime").stdout.strip() == "":
    missing("the sandbox runtime image (mesh runtime build)")

GO_MOD = "module webdebug\n\ngo 1.19\n"
MAIN_GO = """package main

import "fmt"

func total(values []int) int {
\tsum := 0
\tfor _, v := range values {
\t\tsum += v
\t}
\treturn sum
}

func main() {
\tvalues := []int{3, 5, 7, 11}
\tfmt.Println("webdebug: start")
\tanswer := total(values) * 2 // BREAK HERE
\tfmt.Println("webdebug: answer", answer)
}
"""
BREAK_LINE = next(i + 1 for i, line in enumerate(MAIN_GO.split("\n")) if "BREAK HERE" in line)


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1500,1000", "--disable-dev-shm-usage"]:
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(DRIVER), options=options)


def wait(driver, condition, what, timeout=20):
    """Polls `condition` until it is truthy. An element the page re-rendered meanwhile (stale)
    counts as not yet: the page renders whole lists and forms again, and was doing so here."""
    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.1,
                             ignored_exceptions=(NoSuchElementException, StaleElementReferenceException)).until(lambda d: condition(d))
    except TimeoutException:
        raise AssertionError(f"timed out after {timeout} s waiting for {what}") from None


def text_of(driver, css):
    found = driver.find_elements(By.CSS_SELECTOR, css)
    return found[0].text if found else ""


def fill(driver, form_css, values):
    """Fills and submits the form matching `form_css` that has the fields (the page before a
    navigation may still show another one); again when the page re-rendered it meanwhile."""
    first = next(iter(values))
    for attempt in range(5):
        try:
            form = wait(driver, lambda d: [f for f in d.find_elements(By.CSS_SELECTOR, form_css)
                                           if f.find_elements(By.NAME, first)], f"{form_css} with {first}")[0]
            for name, value in values.items():
                field = form.find_element(By.NAME, name)
                field.clear()
                field.send_keys(value)
            form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
            return
        except StaleElementReferenceException:
            if attempt == 4:
                raise
            time.sleep(0.2)


def script_errors(driver):
    """Console errors other than the expected 401 of the logged-out page's first /v1/me."""
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE" and "401" not in e["message"]]


def editor_text(driver):
    return driver.execute_script("return document.querySelector('textarea.input').value")


def set_editor_text(driver, text):
    """Replaces the open document's text the way typing does (an input event on the textarea)."""
    driver.execute_script(
        "const a = document.querySelector('textarea.input'); a.focus(); a.setSelectionRange(0, a.value.length);"
        "a.value = arguments[0]; a.dispatchEvent(new InputEvent('input', {bubbles: true, inputType: 'insertText'}));", text)


def new_file(driver, path, text):
    fill(driver, ".new-file", {"path": path})
    wait(driver, lambda d: d.find_element(By.CSS_SELECTOR, ".file-title").text == path
         and not d.find_element(By.CSS_SELECTOR, "textarea.input").get_attribute("readonly"), f"an editable {path}")
    set_editor_text(driver, text)
    wait(driver, lambda d: editor_text(d) == text, f"{path}'s text")


def signup(driver, base, name, email):
    driver.get(base + "/#/signup")
    fill(driver, "form", {"displayName": name, "email": email, "password": "correct horse battery"})
    wait(driver, lambda d: "Verify your email" in d.page_source or "/#/sessions" in d.current_url, f"{name} signed up")


def open_sessions(driver, base):
    """The sessions page, once its new-session form is there."""
    driver.get(base + "/#/sessions")
    wait(driver, lambda d: [f for f in d.find_elements(By.CSS_SELECTOR, ".inline-form") if f.find_elements(By.NAME, "name")],
         "the new-session form")


def saved(driver, session, path, text, timeout=20):
    """Waits until the server holds `text` for `path` (what run and debug build)."""
    script = """
        const [session, path, text, done] = arguments;
        const get = (url) => fetch(url, {credentials: 'same-origin', headers: {Accept: 'application/json'}}).then((r) => r.ok ? r.json() : null);
        get(`/v1/sessions/${session}/documents`).then((list) => {
          const found = (Array.isArray(list) ? list : list?.documents ?? []).find((d) => d.path === path);
          return found ? get(`/v1/sessions/${session}/documents/${found.id}`) : null;
        }).then((d) => done(d !== null && d.text === text), () => done(false));
    """
    deadline = time.time() + timeout
    while time.time() < deadline:
        if driver.execute_async_script(script, session, path, text):
            return
        time.sleep(0.2)
    raise AssertionError(f"the server never held the typed {path}")


def gutter_number(driver, line):
    """The gutter's number of 1-based `line` (re-rendered every frame: found afresh)."""
    return wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, f".gutter .number[data-line='{line - 1}']"), f"line {line} in the gutter")[0]


def variable(driver, name):
    found = driver.find_elements(By.CSS_SELECTOR, f".variables li.variable[data-name='{name}'] > .var-value")
    return found[0].text if found else None


class Server:
    """`mesh serve` on a free port, its data in a temporary folder, serving this checkout's web files."""

    def __init__(self, root):
        self.root = root
        bin_dir = os.path.join(root, "bin")
        os.makedirs(bin_dir)
        self.binary = os.path.join(bin_dir, "mesh")
        try:
            os.link(MESH_BIN, self.binary)
        except OSError:
            shutil.copy2(MESH_BIN, self.binary)
        resources = os.path.join(bin_dir, "Mesh_MeshServer.resources")
        os.makedirs(resources)
        source = os.path.join(REPO, "Sources", "MeshServer", "Resources")
        shutil.copytree(os.path.join(source, "web"), os.path.join(resources, "web"))
        shutil.copy2(os.path.join(source, "openapi.yaml"), resources)
        self.log_path = os.path.join(root, "serve.log")
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            [self.binary, "serve", "--port", "0", "--data-dir", os.path.join(root, "data"), "--bcrypt-cost", "4",
             "--docker-socket", DOCKER_SOCKET],
            stdout=self.log, stderr=subprocess.STDOUT, env={**os.environ, "MESH_SANDBOX": "on"})
        deadline = time.time() + 30
        self.base = None
        while self.base is None:
            if self.process.poll() is not None or time.time() > deadline:
                raise AssertionError(f"mesh serve did not start:\n{self.tail()}")
            match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", open(self.log_path).read())
            self.base = match.group(1) if match else None
            time.sleep(0.1)

    def tail(self, lines=40):
        try:
            return "".join(open(self.log_path).readlines()[-lines:])
        except OSError:
            return ""

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def main():
    shots = sys.argv[sys.argv.index("--screenshots") + 1] if "--screenshots" in sys.argv else None
    keep = "--keep" in sys.argv
    root = tempfile.mkdtemp(prefix="mesh-webdebug-", dir=os.path.join(REPO, ".build") if os.path.isdir(os.path.join(REPO, ".build")) else None)
    server = None
    ada = bob = None
    step = "start"
    ok = False
    try:
        server = Server(root)
        base = server.base
        ada = browser()
        step = "sign up and create a session"
        signup(ada, base, "Ada", "ada@example.test")
        open_sessions(ada, base)
        fill(ada, ".inline-form", {"name": "Debugging together"})
        wait(ada, lambda d: d.find_elements(By.CSS_SELECTOR, ".session-bar .status.open"), "the session socket")
        session = re.search(r"#/s/([0-9a-fA-F-]{36})", ada.current_url).group(1)
        step = "write the program"
        new_file(ada, "go.mod", GO_MOD)
        new_file(ada, "main.go", MAIN_GO)
        saved(ada, session, "go.mod", GO_MOD)
        saved(ada, session, "main.go", MAIN_GO)

        step = "run it"
        assert ada.find_element(By.CSS_SELECTOR, ".run-button").is_displayed(), "an editor has a Run button"
        ada.find_element(By.CSS_SELECTOR, ".run-button").click()
        wait(ada, lambda d: "webdebug: answer 52" in text_of(d, ".run-output"), "the program's output in the run panel", timeout=180)
        wait(ada, lambda d: "Exited with code 0" in text_of(d, ".run-state"), "the exit status")
        assert "webdebug: start" in text_of(ada, ".run-output")
        if shots:
            ada.save_screenshot(os.path.join(shots, "run.png"))

        step = "set a breakpoint in the gutter"
        ada.find_element(By.CSS_SELECTOR, ".tab-debug").click()
        gutter_number(ada, BREAK_LINE).click()
        wait(ada, lambda d: d.find_elements(By.CSS_SELECTOR, f".gutter .number.breakpoint[data-line='{BREAK_LINE - 1}']"), "the breakpoint mark")
        # A click again clears it, a third sets it again.
        gutter_number(ada, BREAK_LINE).click()
        wait(ada, lambda d: not d.find_elements(By.CSS_SELECTOR, ".gutter .number.breakpoint"), "the breakpoint cleared")
        gutter_number(ada, BREAK_LINE).click()
        wait(ada, lambda d: d.find_elements(By.CSS_SELECTOR, f".gutter .number.breakpoint[data-line='{BREAK_LINE - 1}']"), "the breakpoint again")

        step = "debug: stop at the breakpoint"
        ada.find_element(By.CSS_SELECTOR, ".debug-start").click()
        wait(ada, lambda d: f"Paused at main.go:{BREAK_LINE}" in text_of(d, ".debug-state"), "the stop at the breakpoint", timeout=240)
        wait(ada, lambda d: d.find_elements(By.CSS_SELECTOR, f".gutter .number.current[data-line='{BREAK_LINE - 1}']")
             and d.find_elements(By.CSS_SELECTOR, ".execution-line"), "the stopped line highlighted")
        wait(ada, lambda d: variable(d, "values") is not None and "3" in variable(d, "values") and "11" in variable(d, "values"),
             "the value of values in Variables")
        assert "main.main" in text_of(ada, ".frames"), text_of(ada, ".frames")
        wait(ada, lambda d: d.find_elements(By.CSS_SELECTOR, f".gutter .number.breakpoint[data-line='{BREAK_LINE - 1}']:not(.unverified)"),
             "the breakpoint verified")
        if shots:
            ada.save_screenshot(os.path.join(shots, "stopped.png"))

        step = "a viewer watches"
        ada_url = ada.current_url
        bob = browser()
        signup(bob, base, "Bob", "bob@example.test")
        ada.get(base + f"/#/s/{session}/people")
        wait(ada, lambda d: d.find_elements(By.CSS_SELECTOR, "form.inline-form select[name=role]"), "the invite form")
        from selenium.webdriver.support.ui import Select
        Select(ada.find_element(By.CSS_SELECTOR, "form.inline-form select[name=role]")).select_by_value("viewer")
        ada.find_element(By.CSS_SELECTOR, "form.inline-form button[type=submit]").click()
        link = wait(ada, lambda d: d.find_elements(By.CSS_SELECTOR, "code.link-text"), "an invite link")[0].text
        # Ada's page went to People: her debug connection ended with it (the program with it,
        # as she was its only editor), so she comes back and debugs again below.
        bob.get(link)
        wait(bob, lambda d: d.find_elements(By.XPATH, "//button[text()='Join the session']"), "the join button")
        bob.find_element(By.XPATH, "//button[text()='Join the session']").click()
        wait(bob, lambda d: d.find_elements(By.CSS_SELECTOR, ".session-bar .status.open"), "Bob's session socket")
        assert not bob.find_element(By.CSS_SELECTOR, ".run-button").is_displayed(), "a viewer has no Run button"

        step = "debug again, the viewer joins the stop"
        ada.get(ada_url)
        wait(ada, lambda d: d.find_elements(By.CSS_SELECTOR, ".session-bar .status.open") and "BREAK HERE" in editor_text(d), "Ada's session page again")
        ada.find_element(By.CSS_SELECTOR, ".tab-debug").click()
        gutter_number(ada, BREAK_LINE).click()
        ada.find_element(By.CSS_SELECTOR, ".debug-start").click()
        wait(ada, lambda d: f"Paused at main.go:{BREAK_LINE}" in text_of(d, ".debug-state"), "the stop at the breakpoint again", timeout=240)
        bob.find_element(By.CSS_SELECTOR, ".tab-debug").click()
        assert bob.find_element(By.CSS_SELECTOR, ".debug-start").text == "Watch"
        assert not bob.find_element(By.CSS_SELECTOR, ".debug-continue").is_displayed(), "a viewer has no Continue"
        bob.find_element(By.CSS_SELECTOR, ".debug-start").click()
        wait(bob, lambda d: f"Paused at main.go:{BREAK_LINE}" in text_of(d, ".debug-state") and "watching" in text_of(d, ".debug-state"),
             "the viewer sees the stop", timeout=60)
        wait(bob, lambda d: d.find_elements(By.CSS_SELECTOR, f".gutter .number.current[data-line='{BREAK_LINE - 1}']")
             and variable(d, "values") is not None, "the viewer's highlighted line and variables")
        gutter_number(bob, BREAK_LINE + 1).click()
        wait(bob, lambda d: "Viewers cannot set breakpoints" in text_of(d, ".doc-notice"), "a viewer's gutter click refused")

        step = "step over"
        ada.find_element(By.CSS_SELECTOR, ".debug-next").click()
        wait(ada, lambda d: f"Paused at main.go:{BREAK_LINE + 1}" in text_of(d, ".debug-state"), "the stop after stepping over", timeout=60)
        wait(ada, lambda d: variable(d, "answer") == "52", "answer = 52 after the step")
        wait(bob, lambda d: f"Paused at main.go:{BREAK_LINE + 1}" in text_of(d, ".debug-state"), "the viewer follows the step", timeout=30)
        if shots:
            ada.save_screenshot(os.path.join(shots, "stepped.png"))
            bob.save_screenshot(os.path.join(shots, "viewer.png"))

        step = "continue to the end"
        ada.find_element(By.CSS_SELECTOR, ".debug-continue").click()
        wait(ada, lambda d: "webdebug: answer 52" in text_of(d, ".debug-output"), "the program's output in the debug panel", timeout=60)
        wait(ada, lambda d: text_of(d, ".debug-state").startswith("Ended") or text_of(d, ".debug-state") == "Not debugging",
             "the debug session's end", timeout=60)
        wait(ada, lambda d: not d.find_elements(By.CSS_SELECTOR, ".execution-line"), "no highlighted line after the end")
        wait(bob, lambda d: text_of(d, ".debug-state").startswith("Ended"), "the viewer sees the end", timeout=60)
        step = "debug again and stop"
        ada.find_element(By.CSS_SELECTOR, ".debug-start").click()
        wait(ada, lambda d: f"Paused at main.go:{BREAK_LINE}" in text_of(d, ".debug-state"), "the third stop at the breakpoint", timeout=240)
        ada.find_element(By.CSS_SELECTOR, ".debug-stop").click()
        wait(ada, lambda d: text_of(d, ".debug-state").startswith("Ended") and not d.find_elements(By.CSS_SELECTOR, ".execution-line"),
             "the debug session stopped", timeout=30)
        assert "webdebug: answer" not in text_of(ada, ".debug-output"), "stopped before the end"
        for name, driver in (("Ada", ada), ("Bob", bob)):
            errors = script_errors(driver)
            assert not errors, f"{name}'s console errors: {errors}"
        ok = True
        print("browser_debug_test: ok (run, breakpoint from the gutter, stop, variables, viewer, step, continue, stop)")
    except Exception as error:
        print(f"browser_debug_test: FAILED at '{step}': {type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}", file=sys.stderr)
        for name, driver in (("ada", ada), ("bob", bob)):
            if driver is None:
                continue
            try:
                print(f"--- {name}: {driver.current_url} showing {text_of(driver, 'main h1')!r}\nrun: {text_of(driver, '.run-state')} | {text_of(driver, '.run-output')[-1500:]}\n"
                      f"debug: {text_of(driver, '.debug-state')} | {text_of(driver, '.debug-output')[-1500:]}", file=sys.stderr)
                print(f"console: {[e['message'] for e in driver.get_log('browser')][-10:]}", file=sys.stderr)
                if shots:
                    driver.save_screenshot(os.path.join(shots, f"failed-{name}.png"))
            except Exception:
                pass
        if server is not None:
            print(f"--- mesh serve (last lines):\n{server.tail()}", file=sys.stderr)
    finally:
        for driver in (ada, bob):
            if driver is not None:
                driver.quit()
        if server is not None:
            server.stop()
        if not keep:
            shutil.rmtree(root, ignore_errors=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
