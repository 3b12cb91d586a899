#!/usr/bin/env python3
"""Runs a language server and records every JSON-RPC message both ways, for diagnosis.

    lsp_tap.py TRACE.jsonl COMMAND [ARGS…]

Each line of TRACE.jsonl: {"t": seconds since start, "dir": "editor→server" | "server→editor",
"msg": <the message>}. The streams themselves pass through untouched. neovim_e2e.py --tap uses it.
"""

import json
import subprocess
import sys
import threading
import time

START = time.monotonic()
lock = threading.Lock()


def pump(source, sink, direction, trace):
    buffer = b""
    while True:
        chunk = source.read1(65536) if hasattr(source, "read1") else source.read(65536)
        if not chunk:
            break
        sink.write(chunk)
        sink.flush()
        buffer += chunk
        while True:
            head, sep, rest = buffer.partition(b"\r\n\r\n")
            if not sep:
                break
            length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                          if line.lower().startswith(b"content-length"))
            if len(rest) < length:
                break
            body, buffer = rest[:length], rest[length:]
            with lock:
                trace.write(json.dumps({"t": round(time.monotonic() - START, 4), "dir": direction,
                                        "msg": json.loads(body)}, ensure_ascii=False) + "\n")
                trace.flush()
    try:
        sink.close()
    except OSError:
        pass


def main():
    trace = open(sys.argv[1], "w", encoding="utf-8")
    child = subprocess.Popen(sys.argv[2:], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    threads = [threading.Thread(target=pump, args=(sys.stdin.buffer, child.stdin, "editor→server", trace), daemon=True),
               threading.Thread(target=pump, args=(child.stdout, sys.stdout.buffer, "server→editor", trace))]
    for thread in threads:
        thread.start()
    threads[1].join()
    sys.exit(child.wait())


if __name__ == "__main__":
    main()
