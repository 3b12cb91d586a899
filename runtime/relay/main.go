// Command relay is the entrypoint of the Mesh debug container (installed in the runtime image as
// /usr/local/bin/mesh-relay). The container has no network, so the Mesh server speaks to it only
// through the container's attached stdin and stdout, and for debugging through a Unix socket the
// server listens on and bind-mounts into the container.
//
// Usage:
//
//	relay [--] <dlv args...>     e.g. `relay dap`: the debug bridge
//	relay run <dir> [args...]    build the Go package in <dir>, run it with args (`mesh run`)
//
// The programs run confined: they, and dlv with its debuggees, cannot write the session's build
// cache; only the relay's own builds do, and it keeps the cache within its limit (confine.go,
// cache.go, build.go; debug launches are built by the relay, launch.go).
//
// Debug bridge: the DAP client is on the relay's stdin and stdout, or at the other end of a Unix
// socket the relay dials at $MESH_RELAY_SOCKET (see dapStream). The relay listens on 127.0.0.1:0
// inside the container, starts
// `/usr/bin/dlv <dlv args...> --client-addr=127.0.0.1:PORT` (the path of dlv can be overridden
// with MESH_DLV), and accepts the one connection dlv dials. From then on it copies its stdin to that
// connection and the connection to its stdout, one whole DAP message at a time (Content-Length
// framing), so that it can insert messages of its own between them: everything dlv writes on its
// stdout and stderr — Delve 1.20 prints the debuggee's output there rather than sending `output`
// events — becomes an event
//
//	{"seq":0,"type":"event","event":"output","body":{"category":"stdout"|"stderr","output":"..."}}
//
// When dlv exits, or the relay's stdin closes (which closes the DAP connection, and makes dlv end the
// debug session), the relay exits with dlv's exit code (128+signal if a signal killed it).
//
// Run: `go build` of the package in <dir> (cheap on the image's warm GOCACHE), then the program
// runs with the relay's stdin, stdout and stderr and the relay exits with its exit code
// (128+signal if a signal killed it). If the build fails, go's messages are on stderr and the relay
// exits with 125.
//
// In both modes the relay forwards SIGINT, SIGTERM, SIGHUP and SIGQUIT to its child, keeps Go from
// trimming the build cache (see keepCache) and, inside the runtime image, sets defaults for the Go
// environment variables the container needs when they are unset (see defaultEnv).
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"
)

// Exit codes of the relay itself.
const (
	exitUsage       = 2   // bad command line
	exitBuildFailed = 125 // relay run: `go build` failed
	exitStartFailed = 126 // dlv or the program could not be started or did not connect
)

// defaultEnv is applied, inside the runtime image only (when /etc/mesh-runtime exists), for every
// variable not already set: the container runs as a non-root user on a read-only root file system,
// with no network and no C compiler.
var defaultEnv = [][2]string{
	{"HOME", "/tmp"},               // dlv writes $HOME/.config/dlv, go reads $HOME/.config/go
	{"GOCACHE", "/opt/gocache"},    // the warm build cache (must be writable: Go 1.19 has no read-only cache)
	{"GOPATH", "/tmp/go"},          // module cache; nothing is downloaded (GOPROXY=off)
	{"CGO_ENABLED", "0"},           // no gcc in the image; also what the warm cache was built with
	{"GOPROXY", "off"},             // no network: fail at once instead of timing out
	{"GOSUMDB", "off"},             //
	{"GOFLAGS", "-buildvcs=false"}, // no git in the image
	{"GOTMPDIR", "/tmp"},           //
}

func main() {
	args := os.Args[1:]
	if _, err := os.Stat("/etc/mesh-runtime"); err == nil {
		for _, kv := range defaultEnv {
			if _, ok := os.LookupEnv(kv[0]); !ok {
				os.Setenv(kv[0], kv[1])
			}
		}
	}
	keepCache()
	switch {
	case len(args) > 0 && args[0] == "--":
		args = args[1:]
	case len(args) > 0 && args[0] == "run":
		if len(args) < 2 {
			usage()
		}
		os.Exit(run(args[1], args[2:]))
	}
	if len(args) == 0 {
		usage()
	}
	os.Exit(bridge(args))
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: relay [--] <dlv args...>\n       relay run <dir> [args...]")
	os.Exit(exitUsage)
}

// keepCache stops Go from trimming the build cache during this container's builds. Go deletes
// cache entries unused for five days once a day (recorded in $GOCACHE/trim.txt); the warm cache is
// as old as the image, so the first build after five days would delete every entry it does not use
// itself (e.g. the plain-flag std when debugging). Stamping trim.txt with the current time makes
// Go skip trimming for a day; every build runs in a fresh container, so it never trims. Errors are
// ignored: a read-only or missing cache is go's problem to report.
func keepCache() {
	// (The runtime image ships without trim.txt; its cache directories are sticky and world-writable.)
	dir := os.Getenv("GOCACHE")
	if dir == "" || dir == "off" {
		return
	}
	if _, err := os.Stat(filepath.Join(dir, "README")); err != nil {
		return // not an initialised cache
	}
	stamp := strconv.FormatInt(time.Now().Unix(), 10)
	os.WriteFile(filepath.Join(dir, "trim.txt"), []byte(stamp), 0o666)
}

// forwardSignals relays termination signals to p until the returned function is called.
func forwardSignals(p *os.Process) (stop func()) {
	ch := make(chan os.Signal, 4)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case s := <-ch:
				p.Signal(s)
			case <-done:
				return
			}
		}
	}()
	return func() { signal.Stop(ch); close(done) }
}

// exitCode is the shell convention: the exit status, or 128+signal.
func exitCode(st *os.ProcessState) int {
	if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return st.ExitCode()
}

// run builds the package in dir into a temporary directory and runs it with args.
func run(dir string, args []string) int {
	tmp, err := os.MkdirTemp("", "mesh-run-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "relay:", err)
		return exitStartFailed
	}
	defer os.RemoveAll(tmp)
	abs, _ := filepath.Abs(dir)
	name := filepath.Base(abs)
	if name == "/" || name == "." {
		name = "main"
	}
	bin := filepath.Join(tmp, name)
	if err := goCommand(dir, []string{"build", "-o", bin, "."}, os.Stderr); err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			fmt.Fprintln(os.Stderr, "relay: go build:", err)
		}
		return exitBuildFailed
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := startConfined(cmd); err != nil {
		fmt.Fprintln(os.Stderr, "relay:", err)
		return exitStartFailed
	}
	stop := forwardSignals(cmd.Process)
	cmd.Wait()
	stop()
	return exitCode(cmd.ProcessState)
}

// dapStream is where the DAP client is: the relay's stdin and stdout, or, when MESH_RELAY_SOCKET
// names a path, a connection the relay dials to the Unix socket the server listens on there (the
// server bind-mounts that one socket file into the container, so nothing in the container can
// create files on the host) — shorter than Docker's attached stdio, which copies every message
// through dockerd and containerd-shim. The relay dials before it starts dlv, so the debuggee never
// runs while the server's one accepted connection is still free.
func dapStream() (io.Reader, io.Writer, func(), error) {
	path := os.Getenv("MESH_RELAY_SOCKET")
	if path == "" {
		return os.Stdin, os.Stdout, func() {}, nil
	}
	conn, err := dialRetrying(path, 10*time.Second)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("no DAP client on %s: %w", path, err)
	}
	return conn, conn, func() { conn.Close() }, nil
}

// dialRetrying connects to the Unix socket at path, retrying for up to wait (the server listens
// before it creates the container, so the first attempt normally succeeds).
func dialRetrying(path string, wait time.Duration) (net.Conn, error) {
	deadline := time.Now().Add(wait)
	for {
		conn, err := net.DialTimeout("unix", path, time.Second)
		if err == nil {
			return conn, nil
		}
		if time.Now().After(deadline) {
			return nil, err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// bridge runs dlv with args plus --client-addr and relays DAP between the DAP stream and dlv.
func bridge(args []string) int {
	dapIn, dapOut, closeDAP, err := dapStream()
	if err != nil {
		fmt.Fprintln(os.Stderr, "relay:", err)
		return exitStartFailed
	}
	defer closeDAP()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "relay:", err)
		return exitStartFailed
	}
	dlv := os.Getenv("MESH_DLV")
	if dlv == "" {
		dlv = "/usr/bin/dlv"
	}
	cmd := exec.Command(dlv, append(args, "--client-addr="+ln.Addr().String())...)
	// dlv's stdout and stderr are pipes we read ourselves (not an io.Writer, whose copying
	// cmd.Wait would wait for even while a left-over debuggee still holds the pipe open).
	outR, outW, err1 := os.Pipe()
	errR, errW, err2 := os.Pipe()
	if err1 != nil || err2 != nil {
		fmt.Fprintln(os.Stderr, "relay: pipe:", err1, err2)
		return exitStartFailed
	}
	cmd.Stdout, cmd.Stderr = outW, errW // stdin: /dev/null; the relay's stdin is the DAP stream
	if err := startConfined(cmd); err != nil {
		fmt.Fprintln(os.Stderr, "relay:", err)
		return exitStartFailed
	}
	outW.Close()
	errW.Close()
	stopSignals := forwardSignals(cmd.Process)
	defer stopSignals()

	w := newWriter(dapOut)
	var readers sync.WaitGroup
	readers.Add(2)
	go func() { defer readers.Done(); pumpOutput(outR, "stdout", w) }()
	go func() { defer readers.Done(); pumpOutput(errR, "stderr", w) }()

	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()

	// Accept dlv's one connection, unless dlv exits first.
	type accepted struct {
		c   net.Conn
		err error
	}
	acc := make(chan accepted, 1)
	go func() { c, err := ln.Accept(); acc <- accepted{c, err} }()
	var conn net.Conn
	select {
	case a := <-acc:
		conn, err = a.c, a.err
	case <-exited:
		err = errors.New("dlv exited before connecting")
	case <-time.After(60 * time.Second):
		err = errors.New("dlv did not connect within 60 s")
	}
	ln.Close()
	if err != nil {
		cmd.Process.Kill()
		<-exited
		waitTimeout(&readers, time.Second)
		w.close()
		fmt.Fprintln(os.Stderr, "relay:", err)
		if code := exitCode(cmd.ProcessState); code != 0 && code != 128+int(syscall.SIGKILL) {
			return code
		}
		return exitStartFailed
	}

	// stdin → dlv, one DAP message at a time: debug and test launches are built here first
	// (launch.go). When stdin ends, close the connection: dlv then ends the debug session and
	// exits.
	launches := &launchBuilder{}
	defer launches.cleanup()
	stdinDone := make(chan struct{})
	go func() {
		defer close(stdinDone)
		r := bufio.NewReaderSize(dapIn, 64<<10)
		for {
			msg, err := readMessage(r)
			if err != nil {
				if err != io.EOF && !errors.Is(err, net.ErrClosed) {
					fmt.Fprintln(os.Stderr, "relay: reading the DAP client:", err)
				}
				return
			}
			forward, replies := launches.rewrite(msg)
			for _, reply := range replies {
				w.send(reply)
			}
			if forward != nil {
				if _, err := conn.Write(forward); err != nil {
					return
				}
			}
		}
	}()
	// dlv → stdout, one DAP message at a time.
	connDone := make(chan struct{})
	go func() {
		defer close(connDone)
		r := bufio.NewReaderSize(conn, 64<<10)
		for {
			msg, err := readMessage(r)
			if err != nil {
				if err != io.EOF && !errors.Is(err, net.ErrClosed) {
					fmt.Fprintln(os.Stderr, "relay: reading from dlv:", err)
				}
				return
			}
			w.send(msg)
		}
	}()

	select {
	case <-exited:
	case <-stdinDone:
		conn.Close()
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	}
	// Flush what dlv still sent and printed, then close the connection.
	select {
	case <-connDone:
	case <-time.After(time.Second):
	}
	conn.Close()
	waitTimeout(&readers, time.Second)
	w.close()
	return exitCode(cmd.ProcessState)
}

func waitTimeout(wg *sync.WaitGroup, d time.Duration) {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
	}
}

// maxMessageBytes bounds a DAP message's body (the server's own limit is lower).
const maxMessageBytes = 64 << 20

// readMessage reads one DAP message (headers and body) and returns it whole, as received.
func readMessage(r *bufio.Reader) ([]byte, error) {
	var head bytes.Buffer
	length := -1
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			if err == io.EOF && head.Len() == 0 && line == "" {
				return nil, io.EOF
			}
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
		head.WriteString(line)
		field := strings.TrimRight(line, "\r\n")
		if field == "" {
			break
		}
		if k, v, ok := strings.Cut(field, ":"); ok && strings.EqualFold(strings.TrimSpace(k), "Content-Length") {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil || n < 0 || n > maxMessageBytes {
				return nil, fmt.Errorf("bad Content-Length %q", v)
			}
			length = n
		}
	}
	if length < 0 {
		return nil, errors.New("DAP message without Content-Length")
	}
	msg := make([]byte, head.Len()+length)
	copy(msg, head.Bytes())
	if _, err := io.ReadFull(r, msg[head.Len():]); err != nil {
		return nil, io.ErrUnexpectedEOF
	}
	return msg, nil
}

// pumpOutput turns what r yields into output events of the given category until r ends. A chunk
// never ends in the middle of a UTF-8 sequence (the rest waits for the next read); invalid bytes
// become U+FFFD.
func pumpOutput(r io.Reader, category string, w *writer) {
	buf := make([]byte, 32<<10)
	n := 0
	for {
		m, err := r.Read(buf[n:])
		n += m
		cut := n
		if err == nil {
			cut = completeUTF8(buf[:n])
		}
		if cut > 0 {
			w.send(outputEvent(category, buf[:cut]))
			n = copy(buf, buf[cut:n])
		}
		if err != nil {
			return
		}
	}
}

// completeUTF8 returns the length of b without a trailing incomplete UTF-8 sequence.
func completeUTF8(b []byte) int {
	for i := len(b) - 1; i >= 0 && i > len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if !utf8.FullRune(b[i:]) {
				return i
			}
			break
		}
	}
	return len(b)
}

type outputBody struct {
	Category string `json:"category"`
	Output   string `json:"output"`
}

type event struct {
	Seq   int        `json:"seq"`
	Type  string     `json:"type"`
	Event string     `json:"event"`
	Body  outputBody `json:"body"`
}

// outputEvent frames text as a DAP output event (invalid UTF-8 becomes U+FFFD).
func outputEvent(category string, text []byte) []byte {
	body, _ := json.Marshal(event{Type: "event", Event: "output", Body: outputBody{category, string(text)}})
	return append([]byte(fmt.Sprintf("Content-Length: %d\r\n\r\n", len(body))), body...)
}

// writer owns the relay's stdout: whole messages from several goroutines, written one at a time.
type writer struct {
	mu  sync.Mutex
	out io.Writer
	err error
}

func newWriter(out io.Writer) *writer { return &writer{out: out} }

func (w *writer) send(msg []byte) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err == nil {
		_, w.err = w.out.Write(msg)
	}
}

func (w *writer) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.err = io.ErrClosedPipe
}
