#!/usr/bin/env python3
"""Fails when a Swift target imports a module Package.swift does not declare for it, or declares a
dependency it never imports (issue 12: the manifest says what each module uses).

Usage: scripts/check-imports.py   (from the repository; runs `swift package describe`)
"""
import glob
import json
import re
import subprocess
import sys

# Modules of the toolchain and the platform: not declared in a manifest.
PLATFORM = {"Foundation", "FoundationEssentials", "FoundationNetworking", "Dispatch", "Glibc", "Musl",
            "Darwin", "Synchronization", "Testing", "XCTest", "_Concurrency"}
IMPORT = re.compile(r"\s*(?:@\w+(?:\([^)]*\))?\s+)*(?:public |internal |package |private |fileprivate )?"
                    r"import (?:struct |class |enum |protocol |func |var |let |typealias )?(\w+)")

run = subprocess.run(["swift", "package", "describe", "--type", "json"], capture_output=True, text=True)
if run.returncode != 0:
    sys.exit("check-imports: swift package describe failed:\n" + run.stderr)
description = json.loads(run.stdout)
problems = []
for target in description["targets"]:
    declared = set(target.get("target_dependencies", [])) | set(target.get("product_dependencies", []))
    sources = glob.glob(target["path"] + "/**/*.swift", recursive=True)
    if not sources:
        continue   # a C target
    imported = set()
    for path in sources:
        with open(path, encoding="utf-8") as source:
            imported.update(m.group(1) for m in map(IMPORT.match, source) if m)
    for module in sorted(imported - PLATFORM - declared):
        problems.append(f"{target['name']} imports {module}, which Package.swift does not declare for it")
    for module in sorted(declared - imported):
        problems.append(f"{target['name']} declares {module} but never imports it")
for problem in problems:
    print("check-imports: " + problem, file=sys.stderr)
sys.exit(1 if problems else 0)
