#!/usr/bin/env python3
"""A minimal DAP client for checking a debug adapter by hand (Python 3 standard library only).

It starts COMMAND, speaks DAP over its stdin and stdout, and runs one debug session:

    initialize -> launch {mode, program} -> (initialized) -> setBreakpoints -> configurationDone
    -> stopped -> stackTrace/scopes/variables -> continue -> ... -> terminated -> disconnect

The breakpoint lines are found in the fixture's sources by their marker comments, e.g.
"// BREAK HERE" in main.go. It prints a JSON summary on stdout (timings in milliseconds, the
stops, the debuggee's output) and exits 0 if the session reached `terminated` after stopping at
every breakpoint line at least once.

Examples:

    # Delve in a container, through the relay
    dap_probe.py --source Tests/Fixtures/go/debugme --program /workspace -- \\
        docker run --rm -i --network none ... mesh-runtime:dev /usr/local/bin/mesh-relay dap
    # Delve on the host, through the relay binary
    dap_probe.py --source Tests/Fixtures/go/debugme -- /tmp/mesh-relay dap
    # Delve in a container whose relay dials the probe, as it dials the server: start the probe
    # first (Docker needs the socket file), then the container with
    # -e MESH_RELAY_SOCKET=/run/mesh/dap.sock -v DIR/dap.sock:/run/mesh/dap.sock:ro
    dap_probe.py --source Tests/Fixtures/go/debugme --program /workspace --listen-unix DIR/dap.sock &
    # Delve on the host over TCP (dlv dap --listen=127.0.0.1:PORT already running)
    dap_probe.py --source Tests/Fixtures/go/debugme --connect 127.0.0.1:PORT
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import threading
import queue
import time


def find_marker(path, marker):
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if marker in line:
                return number
    raise SystemExit(f"dap_probe: marker {marker!r} not found in {path}")


class Session:
    def __init__(self, reader, writer, log):
        self.reader, self.writer, self.log = reader, writer, log
        self.seq = 0
        self.messages = queue.Queue()
        self.t0 = time.monotonic()
        threading.Thread(target=self._read, daemon=True).start()

    def now(self):
        return (time.monotonic() - self.t0) * 1000.0

    def _read(self):
        try:
            while True:
                length = None
                while True:
                    line = self.reader.readline()
                    if not line:
                        self.messages.put(None)
                        return
                    line = line.strip()
                    if not line:
                        break
                    key, _, value = line.decode("ascii").partition(":")
                    if key.strip().lower() == "content-length":
                        length = int(value)
                body = self.reader.read(length)
                message = json.loads(body)
                message["_t"] = self.now()
                if self.log:
                    print(f"<- {self.now():8.1f} {json.dumps(message)[:300]}", file=sys.stderr)
                self.messages.put(message)
        except Exception as error:  # report, then end the session
            print(f"dap_probe: read error: {error!r}", file=sys.stderr)
            self.messages.put(None)

    def send(self, command, arguments=None):
        self.seq += 1
        message = {"seq": self.seq, "type": "request", "command": command}
        if arguments is not None:
            message["arguments"] = arguments
        body = json.dumps(message).encode()
        if self.log:
            print(f"-> {self.now():8.1f} {body.decode()[:300]}", file=sys.stderr)
        self.writer.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.writer.flush()
        return self.seq

    def next(self, timeout):
        try:
            return self.messages.get(timeout=timeout)
        except queue.Empty:
            raise SystemExit(f"dap_probe: no message within {timeout} s")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", required=True, help="the fixture directory on this machine (to find markers)")
    parser.add_argument("--program", help="the package directory as the adapter sees it (default: --source, absolute)")
    parser.add_argument("--mode", default="debug", choices=["debug", "test"])
    parser.add_argument("--output", default="/tmp/__debug_bin", help="launch `output` (where dlv writes the binary)")
    parser.add_argument("--break", dest="breaks", action="append",
                        help="FILE:MARKER, repeatable (default main.go:'// BREAK HERE' and main.go:'// BREAK HELPER')")
    parser.add_argument("--cwd", help="launch `cwd` (default: none)")
    parser.add_argument("--connect", help="HOST:PORT of a listening DAP server instead of COMMAND")
    parser.add_argument("--listen-unix", help="listen on this Unix socket (mode 0666) and wait up to 60 s for a DAP "
                                              "server to dial it, e.g. mesh-relay with MESH_RELAY_SOCKET in a container "
                                              "started by hand")
    parser.add_argument("--steps", type=int, default=0,
                        help="at the first stop in `total` (BREAK HELPER), send `next` N times and time each "
                             "request -> stopped (next_ms in the summary)")
    parser.add_argument("--pings", type=int, default=0,
                        help="at that stop, before stepping, send `threads` N times and time each request -> "
                             "response (threads_ms in the summary): the adapter's own round trip, without Delve's stepping")
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--log", action="store_true", help="trace every message on stderr")
    parser.add_argument("command", nargs="*", help="the adapter command (after --)")
    args = parser.parse_args()

    source = os.path.abspath(args.source)
    program = args.program or source
    breaks = args.breaks or (["debugme_test.go:// BREAK TEST"] if args.mode == "test" else
                             ["main.go:// BREAK HERE", "main.go:// BREAK HELPER"])
    by_file = {}
    for spec in breaks:
        name, _, marker = spec.partition(":")
        by_file.setdefault(name, []).append(find_marker(os.path.join(source, name), marker))

    process = None
    if args.listen_unix:
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(args.listen_unix)
        os.chmod(args.listen_unix, 0o666)
        listener.listen(1)
        listener.settimeout(60)
        try:
            sock, _ = listener.accept()
        except socket.timeout:
            raise SystemExit(f"dap_probe: nothing dialed {args.listen_unix} within 60 s")
        finally:
            listener.close()
            os.unlink(args.listen_unix)
        sock.settimeout(None)
        reader, writer = sock.makefile("rb"), sock.makefile("wb")
    elif args.connect:
        host, _, port = args.connect.rpartition(":")
        sock = socket.create_connection((host, int(port)))
        reader, writer = sock.makefile("rb"), sock.makefile("wb")
    elif args.command:
        # dlv builds the package in its own working directory: run the adapter in the fixture.
        process = subprocess.Popen(args.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=source)
        reader, writer = process.stdout, process.stdin
    else:
        parser.error("give COMMAND (after --), --connect or --listen-unix")

    s = Session(reader, writer, args.log)
    summary = {"stops": [], "output": {"stdout": "", "stderr": "", "console": ""}, "events": {}}
    pending = {}  # request seq -> command
    expected_lines = {n for v in by_file.values() for n in v}
    step_line = next(iter(by_file.get("main.go", [])[1:]), None)  # BREAK HELPER, in total's loop
    steps_left = args.steps if step_line else 0
    t_next = None  # when the `next` in flight was sent
    pings_left = args.pings if step_line else 0
    t_ping = None  # when the `threads` in flight was sent

    def request(command, arguments=None):
        pending[s.send(command, arguments)] = command

    def timed(command, arguments=None):
        """Sends a timed request (`threads` or `next`); returns when it was sent."""
        sent = s.now()
        request(command, arguments)
        return sent

    def go_on(thread):
        """After looking around at a stop (and after each timed `threads`): at the step line, ping
        with `threads` PINGS times, then step with `next` STEPS times; elsewhere, continue."""
        nonlocal t_ping, t_next
        at_step_line = stack.get("line") == step_line
        if at_step_line and pings_left > 0:
            t_ping = timed("threads")
        elif at_step_line and steps_left > 0 and "next_ms" not in summary:
            t_next = timed("next", {"threadId": thread})
        else:
            request("continue", {"threadId": thread})

    t_start = s.now()
    request("initialize", {"clientID": "mesh-dap-probe", "adapterID": "go", "linesStartAt1": True,
                           "columnsStartAt1": True, "pathFormat": "path"})
    t_launch = None
    stack = None
    ok = False
    while True:
        m = s.next(args.timeout)
        if m is None:
            summary["error"] = "adapter closed the stream"
            break
        if m["type"] == "event":
            e = m["event"]
            summary["events"][e] = summary["events"].get(e, 0) + 1
            if e == "output":
                cat = m["body"].get("category", "console")
                summary["output"][cat] = summary["output"].get(cat, "") + m["body"].get("output", "")
            elif e == "initialized":
                summary["initialized_ms"] = m["_t"] - t_launch
                for name, lines in by_file.items():
                    request("setBreakpoints", {"source": {"path": f"{program}/{name}"},
                                               "breakpoints": [{"line": n} for n in lines]})
                request("configurationDone")
            elif e == "stopped" and t_next is not None:
                # A `next` round trip: request -> stopped. Step again, or look around as usual.
                summary.setdefault("next_ms", []).append(round(m["_t"] - t_next, 2))
                steps_left -= 1
                t_next = None
                if steps_left > 0:
                    t_next = timed("next", {"threadId": m["body"].get("threadId")})
                else:
                    stack = {"reason": m["body"].get("reason"), "thread": m["body"].get("threadId"), "t": m["_t"]}
                    request("stackTrace", {"threadId": stack["thread"], "startFrame": 0, "levels": 5})
            elif e == "stopped":
                if not summary["stops"]:
                    summary["launch_to_first_stopped_ms"] = m["_t"] - t_launch
                stack = {"reason": m["body"].get("reason"), "thread": m["body"].get("threadId"), "t": m["_t"]}
                request("stackTrace", {"threadId": stack["thread"], "startFrame": 0, "levels": 5})
            elif e == "terminated":
                summary["launch_to_terminated_ms"] = m["_t"] - t_launch
                ok = {s["line"] for s in summary["stops"]} >= expected_lines
                request("disconnect", {"terminateDebuggee": True})
            continue
        if m["type"] != "response":
            continue
        command = pending.pop(m["request_seq"], m.get("command"))
        if not m.get("success", False):
            summary.setdefault("failed", []).append({command: m.get("message"), "body": m.get("body")})
            if command in ("initialize", "launch"):
                break
            continue
        body = m.get("body") or {}
        if command == "initialize":
            summary["initialize_ms"] = m["_t"] - t_start
            t_launch = s.now()
            launch = {"request": "launch", "mode": args.mode, "program": program, "output": args.output}
            if args.cwd:
                launch["cwd"] = args.cwd
            request("launch", launch)
        elif command == "launch":
            summary["launch_response_ms"] = m["_t"] - t_launch
        elif command == "setBreakpoints":
            summary.setdefault("breakpoints", []).extend(
                {"line": b.get("line"), "verified": b.get("verified")} for b in body.get("breakpoints", []))
        elif command == "stackTrace":
            frame = body["stackFrames"][0]
            stack.update(function=frame["name"], line=frame["line"], file=frame["source"].get("path"))
            request("scopes", {"frameId": frame["id"]})
        elif command == "scopes":
            local = body["scopes"][0]["variablesReference"]
            request("variables", {"variablesReference": local})
        elif command == "threads" and t_ping is not None:
            summary.setdefault("threads_ms", []).append(round(m["_t"] - t_ping, 3))
            pings_left -= 1
            t_ping = None
            go_on(stack["thread"])
        elif command == "variables":
            stack["variables"] = {v["name"]: v["value"] for v in body.get("variables", [])}
            summary["stops"].append({k: v for k, v in stack.items() if k != "t"})
            go_on(stack["thread"])
        elif command == "disconnect":
            break
    summary["ok"] = ok
    try:
        writer.close()
    except OSError:
        pass
    if process:
        try:
            summary["adapter_exit"] = process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            summary["adapter_exit"] = "killed after 15 s"
    summary["total_ms"] = s.now()
    for key, value in list(summary.items()):
        if key.endswith("_ms") and isinstance(value, float):
            summary[key] = round(value, 1)
    print(json.dumps(summary, indent=2))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
