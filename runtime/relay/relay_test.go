package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Build flags that would make the relay's unconfined build run code are refused; the harmless
// ones pass, in Delve's string form and as a list.
func TestBuildFlagsThatRunCodeAreRefused(t *testing.T) {
	for _, hostile := range []string{
		`-toolexec=/workspace/evil`, `-toolexec /workspace/evil`, `-exec=/workspace/evil`,
		`-ldflags=-linkmode=external -extld=/workspace/evil`, `-gcflags=-cpuprofile=/opt/gocache/x`,
		`-overlay=/workspace/o.json`, `-o /opt/gocache/bin`, `-mod=/tmp/x`, `./evil`, `-tags`,
	} {
		raw, _ := json.Marshal(hostile)
		if flags, err := allowedBuildFlags(raw); err == nil {
			t.Errorf("%q allowed as %q", hostile, flags)
		}
	}
	raw, _ := json.Marshal(`-tags 'a b' -trimpath -mod=vendor`)
	flags, err := allowedBuildFlags(raw)
	if err != nil || strings.Join(flags, "|") != "-tags=a b|-trimpath|-mod=vendor" {
		t.Errorf("got %q, %v", flags, err)
	}
	flags, err = allowedBuildFlags(json.RawMessage(`["-tags", "x", "-toolexec=y"]`))
	if err == nil {
		t.Errorf("a list with -toolexec allowed: %q", flags)
	}
}

// A launch whose program reads as a flag is answered with an error and never reaches go.
func TestAProgramThatIsAFlagIsRefused(t *testing.T) {
	b := &launchBuilder{}
	defer b.cleanup()
	msg := frame([]byte(`{"seq":3,"type":"request","command":"launch","arguments":{"mode":"debug","program":"-toolexec=/x"}}`))
	forward, replies := b.rewrite(msg)
	if forward != nil || len(replies) != 1 || !strings.Contains(string(replies[0]), `"request_seq":3`) ||
		!strings.Contains(string(replies[0]), `"success":false`) {
		t.Fatalf("forward %q replies %q", forward, replies)
	}
}

// Requests other than debug and test launches pass through byte for byte.
func TestOtherMessagesPassUnchanged(t *testing.T) {
	b := &launchBuilder{}
	for _, body := range []string{
		`{"seq":1,"type":"request","command":"initialize","arguments":{}}`,
		`{"seq":2,"type":"request","command":"launch","arguments":{"mode":"exec","program":"/workspace/bin"}}`,
		`not json`,
	} {
		msg := frame([]byte(body))
		if forward, replies := b.rewrite(msg); string(forward) != string(msg) || replies != nil {
			t.Errorf("%s became %q %q", body, forward, replies)
		}
	}
}

// Trimming deletes the oldest added entries down to three quarters of the limit and leaves the
// image's sealed (root-owned) entries alone. Run as root (as CI does), the added entries are
// given to the sandbox user, as Go's entries in a container are; otherwise they are the
// runner's own.
func TestTrimDeletesTheOldestEntriesFirst(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	for i, name := range []string{"old-d", "mid-d", "new-d"} {
		path := filepath.Join(dir, name)
		os.WriteFile(path, make([]byte, 64<<10), 0o644)
		os.Chtimes(path, now, now.Add(time.Duration(i)*time.Minute))
		if os.Getuid() == 0 {
			if err := os.Chown(path, 65532, 65532); err != nil {
				t.Fatal(err)
			}
		}
	}
	sealed := filepath.Join(dir, "sealed-d")
	os.WriteFile(sealed, make([]byte, 256<<10), 0o444)
	if os.Getuid() != 0 {
		// Only root can make a root-owned entry: without one, the sealed case is not checked.
		os.Remove(sealed)
		sealed = ""
	}
	before, after := trimCache(dir, 100<<10)
	if before < 3*64<<10 || after > 75<<10 {
		t.Errorf("trimmed %d → %d bytes, want ≤ %d", before, after, 75<<10)
	}
	for name, kept := range map[string]bool{"old-d": false, "mid-d": false, "new-d": true} {
		if _, err := os.Stat(filepath.Join(dir, name)); (err == nil) != kept {
			t.Errorf("%s kept=%v", name, err == nil)
		}
	}
	if sealed != "" {
		if _, err := os.Stat(sealed); err != nil {
			t.Error("a sealed (root-owned) entry was deleted")
		}
	}
}

// A confined child cannot write outside /tmp, /dev and /proc; the relay itself still can.
func TestAConfinedProgramCannotWriteOutsideTmp(t *testing.T) {
	if _, err := landlockABI(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Landlock is needed: %v", err)
		}
		t.Skip(err)
	}
	outside, err := os.MkdirTemp("/var/tmp", "mesh-confine-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(outside)
	t.Setenv("MESH_CONFINE", "1")
	target := filepath.Join(outside, "planted")
	cmd := exec.Command("/bin/sh", "-c", "echo x > "+target+" 2>/dev/null || echo refused; echo y > "+filepath.Join(os.TempDir(), "mesh-confine-ok")+" && echo tmp")
	var output strings.Builder
	cmd.Stdout = &output
	if err := startConfined(cmd); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if got := output.String(); got != "refused\ntmp\n" {
		t.Fatalf("confined shell printed %q", got)
	}
	if _, err := os.Stat(target); err == nil {
		t.Fatal("the confined program wrote outside /tmp")
	}
	// The relay's own thread is not confined.
	if err := os.WriteFile(target, []byte("relay"), 0o644); err != nil {
		t.Fatalf("the relay lost its own rights: %v", err)
	}
}
