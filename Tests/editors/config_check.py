#!/usr/bin/env python3
"""The editor configuration files, read by real readers (no editor needed except Emacs):

- editors/helix/languages.toml with tomllib, then Helix's rules applied to it (its sources,
  25.07: helix-view/src/document.rs `language_servers_with_feature`, helix-lsp/src/lib.rs
  `find_lsp_workspace` and `required_root_patterns`): `mesh lsp` starts only where the root
  holds .mesh; every shared language's root marker is `.mesh` alone (a .git or go.mod above
  the shared folder would lift the root out of it); Mesh is the first server offering inlay
  hints (Helix shows only that server's, and the cursors are inlay hints) next to gopls,
  rust-analyzer and typescript-language-server; Helix's default servers are still listed;
  feature names are Helix's; the Go debugger runs `mesh dap` over stdio.
- editors/vscode/package.json with json: the manifest's fields, and the contributed commands
  against those extension.js registers; `node --check` on its scripts when Node.js is there.
- editors/emacs/*.el byte-compiled by `emacs --batch` with eglot on the load path, warnings
  being errors, then loaded: `mesh-setup` must leave the global eglot-server-programs alone.

Exit status 0 pass, 1 failure. Without emacs (or node) that part is skipped, except under
CI=true, where a missing emacs is a failure.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import emacs_env  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
EMACS = emacs_env.EMACS

# helix-view/src/editor.rs / book/src/languages.md (25.07): the names `only-features` and
# `except-features` accept.
HELIX_FEATURES = {
    "format", "goto-definition", "goto-declaration", "goto-type-definition", "goto-reference",
    "goto-implementation", "signature-help", "hover", "document-highlight", "completion",
    "code-action", "workspace-command", "document-symbols", "workspace-symbols", "diagnostics",
    "rename-symbol", "inlay-hints", "document-colors",
}
# Helix 25.07's languages.toml: the servers of the languages Mesh's file overrides.
HELIX_DEFAULT_SERVERS = {
    "go": ["gopls", "golangci-lint-lsp"],
    "rust": ["rust-analyzer"],
    "typescript": ["typescript-language-server"],
    "tsx": ["typescript-language-server"],
    "javascript": ["typescript-language-server"],
    "jsx": ["typescript-language-server"],
    "markdown": ["marksman", "markdown-oxide"],
}

failures: list[str] = []
passes: list[str] = []


def check(condition: bool, message: str) -> bool:
    if not condition:
        failures.append(message)
    return condition


def server_entry(entry) -> tuple[str, set[str] | None, set[str]]:
    """(name, only-features or None, except-features) of a `language-servers` element."""
    if isinstance(entry, str):
        return entry, None, set()
    return entry["name"], set(entry["only-features"]) if "only-features" in entry else None, set(entry.get("except-features", []))


def has_feature(only: set[str] | None, excepted: set[str], feature: str) -> bool:
    return (only is None or feature in only) and feature not in excepted


def check_helix() -> None:
    path = REPO / "editors" / "helix" / "languages.toml"
    with open(path, "rb") as file:
        config = tomllib.load(file)
    mesh = config.get("language-server", {}).get("mesh", {})
    check(mesh.get("command") == "mesh" and mesh.get("args") == ["lsp"], "helix: [language-server.mesh] runs `mesh lsp`")
    check(".mesh" in mesh.get("required-root-patterns", []),
          "helix: mesh needs required-root-patterns = [\".mesh\"] (start only in shared folders)")
    shared = []
    for language in config.get("language", []):
        name = language.get("name")
        servers = [server_entry(entry) for entry in language.get("language-servers", [])]
        names = [server[0] for server in servers]
        if "mesh" not in names:
            continue
        shared.append(name)
        check(language.get("roots") == [".mesh"], f"helix: {name}: roots must be [\".mesh\"] alone, not {language.get('roots')}")
        for server, only, excepted in servers:
            for feature in (only or set()) | excepted:
                check(feature in HELIX_FEATURES, f"helix: {name}: {server}: unknown feature {feature!r}")
        # Helix shows the inlay hints of the first server in the list that offers them.
        first_hints = next((server for server, only, excepted in servers if has_feature(only, excepted, "inlay-hints")), None)
        check(first_hints == "mesh", f"helix: {name}: inlay hints would come from {first_hints}, not mesh (the cursors)")
        check(names.count("mesh") == 1, f"helix: {name}: mesh listed {names.count('mesh')} times")
        for default in HELIX_DEFAULT_SERVERS.get(name, []):
            check(default in names, f"helix: {name}: Helix's default server {default} is no longer listed")
        if name not in HELIX_DEFAULT_SERVERS:
            check("scope" in language and "file-types" in language, f"helix: {name}: a new language needs scope and file-types")
    for needed in ("go", "rust", "typescript", "javascript"):
        check(needed in shared, f"helix: {needed} does not list mesh")
    go = next((language for language in config.get("language", []) if language.get("name") == "go"), {})
    debugger = go.get("debugger", {})
    check(debugger.get("transport") == "stdio" and debugger.get("command") == "mesh" and debugger.get("args") == ["dap"],
          "helix: go's debugger runs `mesh dap` over stdio")
    check(any(t.get("request") == "launch" for t in debugger.get("templates", [])), "helix: a launch template")
    check(not re.search(r"space (\+ )?g, l", path.read_text()), "helix: the debug menu is space G since 24.07, not space g")
    passes.append(f"helix: languages.toml parses; mesh first for inlay hints in {', '.join(shared)}; roots .mesh; "
                  "required-root-patterns; Go debugger")


def check_vscode() -> None:
    folder = REPO / "editors" / "vscode"
    manifest = json.loads((folder / "package.json").read_text(encoding="utf-8"))
    source = (folder / manifest.get("main", "")).read_text(encoding="utf-8") if (folder / manifest.get("main", "missing")).is_file() else ""
    check(bool(source), f"vscode: main {manifest.get('main')} is not a file")
    check(manifest.get("engines", {}).get("vscode", "").startswith("^1."), "vscode: engines.vscode")
    check(manifest.get("dependencies", {}).get("vscode-languageclient", "").startswith("^9."), "vscode: vscode-languageclient 9")
    check("workspaceContains:.mesh/session.json" in manifest.get("activationEvents", []), "vscode: activation on a shared folder")
    contributed = [c["command"] for c in manifest["contributes"]["commands"]]
    check(len(contributed) == len(set(contributed)), "vscode: a command contributed twice")
    registered = set(re.findall(r"command\('(mesh\.editor\.[a-z]+)'", source))
    registered.discard("mesh.editor.run")   # internal: code actions' commands, not in the palette
    check(set(contributed) == registered, f"vscode: contributed {sorted(set(contributed) - registered)} not registered, "
          f"registered {sorted(registered - set(contributed))} not contributed")
    for menu, items in manifest["contributes"].get("menus", {}).items():
        for item in items:
            check(item["command"] in contributed, f"vscode: menu {menu} names {item['command']}")
    check(any(d.get("type") == "mesh" for d in manifest["contributes"].get("debuggers", [])), "vscode: the mesh debugger type")
    for setting in ("mesh.path", "mesh.home", "mesh.cursorThrottleMs"):
        check(setting in manifest["contributes"]["configuration"]["properties"], f"vscode: setting {setting}")
    node = shutil.which("node")
    if node:
        for script in sorted(folder.glob("*.js")):
            result = subprocess.run([node, "--check", str(script)], capture_output=True, text=True)
            check(result.returncode == 0, f"vscode: node --check {script.name}: {result.stderr.strip()}")
    passes.append(f"vscode: package.json parses; {len(contributed)} commands contributed = registered"
                  + ("; node --check *.js" if node else "; (no node: the scripts not syntax-checked)"))


def emacs_load_path() -> list[str]:
    return list(emacs_env.load_path())


def check_emacs() -> None:
    if not shutil.which(EMACS):
        message = "emacs: not found (Debian: apt-get install emacs-nox elpa-eglot)"
        if CI:
            failures.append(message)
        else:
            passes.append("SKIP " + message)
        return
    with tempfile.TemporaryDirectory(prefix="mesh-el-") as work:
        sources = sorted((REPO / "editors" / "emacs").glob("*.el"))
        for source in sources:
            shutil.copy(source, Path(work) / source.name)
        copies = [str(Path(work) / source.name) for source in sources]
        compile_run = subprocess.run(
            [EMACS, "--batch", "-Q", *emacs_load_path(), "-L", work,
             "--eval", "(setq byte-compile-error-on-warn t)", "-f", "batch-byte-compile", *copies],
            capture_output=True, text=True, timeout=120)
        output = (compile_run.stdout + compile_run.stderr).strip()
        compiled = all((Path(work) / (source.stem + ".elc")).exists() for source in sources)
        check(compile_run.returncode == 0 and compiled and "Warning" not in output,
              f"emacs: byte-compiling {', '.join(s.name for s in sources)} (warnings are errors): {output[-2000:]}")
        load_run = subprocess.run(
            [EMACS, "--batch", "-Q", *emacs_load_path(), "-L", work, "--eval",
             "(progn (require 'mesh) (mesh-setup)"
             " (when (seq-some (lambda (e) (eq (cdr e) #'mesh--contact)) (default-value 'eglot-server-programs))"
             "   (error \"mesh-setup added a global eglot entry\"))"
             " (princ (format \"emacs %s, mesh.el compiled and loaded\" emacs-version)))"],
            capture_output=True, text=True, timeout=120)
        check(load_run.returncode == 0, f"emacs: loading the compiled mesh.el: {load_run.stderr.strip()[-2000:]}")
        if load_run.returncode == 0:
            passes.append(f"emacs: {', '.join(s.name for s in sources)} byte-compile with no warning; {load_run.stdout.strip()}")


def main() -> int:
    for part in (check_helix, check_vscode, check_emacs):
        try:
            part()
        except Exception as error:  # a reader's error is a failure of that part
            failures.append(f"{part.__name__}: {type(error).__name__}: {error}")
    for line in passes:
        print(f"config: {line}", flush=True)
    for line in failures:
        print(f"FAIL: {line}", flush=True)
    print("PASS" if not failures else "FAIL", flush=True)
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
