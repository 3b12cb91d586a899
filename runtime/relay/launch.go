package main

// Debug launches build in the relay, not in dlv: dlv runs confined (confine.go) and cannot write
// the build cache, so a `launch` request in mode "debug" (the default) or "test" is built here,
// as Delve would (`go build -gcflags "all=-N -l"`, or `go test -c`), and passed on to dlv in mode
// "exec" with the built binary. A build that fails is answered here, as Delve answers one: its
// messages as an output event, then an error response.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// launchBuilder turns debug and test launches into exec launches; it keeps the folders of the
// binaries it built until cleanup.
type launchBuilder struct {
	folders []string
}

type dapRequest struct {
	Seq       int                        `json:"seq"`
	Type      string                     `json:"type"`
	Command   string                     `json:"command"`
	Arguments map[string]json.RawMessage `json:"arguments"`
}

// rewrite returns the message to send to dlv in place of msg (msg itself when it is not a launch
// to build), or nil with the replies to send back to the client when the launch cannot go on.
func (b *launchBuilder) rewrite(msg []byte) (forward []byte, replies [][]byte) {
	body := msg
	if i := bytes.Index(msg, []byte("\r\n\r\n")); i >= 0 {
		body = msg[i+4:]
	}
	var req dapRequest
	if json.Unmarshal(body, &req) != nil || req.Type != "request" || req.Command != "launch" || req.Arguments == nil {
		return msg, nil
	}
	mode := stringArgument(req.Arguments, "mode")
	if mode == "" {
		mode = "debug"
	}
	if mode != "debug" && mode != "test" {
		return msg, nil
	}
	binary, output, err := b.build(mode, req.Arguments)
	if err != nil {
		replies = [][]byte{launchError(req.Seq, err.Error())}
		if output != "" {
			replies = append([][]byte{outputEvent("stderr", []byte(output))}, replies...)
		}
		return nil, replies
	}
	req.Arguments["mode"], _ = json.Marshal("exec")
	req.Arguments["program"], _ = json.Marshal(binary)
	delete(req.Arguments, "buildFlags")
	delete(req.Arguments, "output")
	encoded, err := json.Marshal(req)
	if err != nil {
		return nil, [][]byte{launchError(req.Seq, err.Error())}
	}
	return frame(encoded), nil
}

// build builds the launch's program for mode into a new folder; it returns the binary, or go's
// messages and an error.
func (b *launchBuilder) build(mode string, arguments map[string]json.RawMessage) (string, string, error) {
	program := stringArgument(arguments, "program")
	if program == "" {
		return "", "", fmt.Errorf("the launch has no program (a package folder or file)")
	}
	if strings.HasPrefix(program, "-") {
		return "", "", fmt.Errorf("program %q is not a package", program)
	}
	flags, err := allowedBuildFlags(arguments["buildFlags"])
	if err != nil {
		return "", "", err
	}
	folder, err := os.MkdirTemp("", "mesh-debug-")
	if err != nil {
		return "", "", err
	}
	b.folders = append(b.folders, folder)
	binary := filepath.Join(folder, "__debug_bin")
	args := []string{"build", "-o", binary, "-gcflags", "all=-N -l"}
	if mode == "test" {
		args = []string{"test", "-c", "-o", binary, "-gcflags", "all=-N -l"}
	}
	args = append(append(args, flags...), program)
	var out bytes.Buffer
	if err := goCommand(".", args, &out); err != nil {
		text := strings.TrimSpace(out.String())
		return "", fmt.Sprintf("Build Error: go %s\n%s\n(%v)\n", strings.Join(args, " "), text, err),
			fmt.Errorf("Build error: Check the debug console for details.")
	}
	return binary, "", nil
}

// cleanup removes the built binaries.
func (b *launchBuilder) cleanup() {
	for _, folder := range b.folders {
		os.RemoveAll(folder)
	}
}

// allowedBuildFlags reads a launch's buildFlags (a string as Delve 1.20 takes it, or a list) and
// keeps to the flags that cannot make the unconfined build run anything: -tags, -trimpath, -mod.
func allowedBuildFlags(raw json.RawMessage) ([]string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var fields []string
	var text string
	if json.Unmarshal(raw, &text) == nil {
		fields = splitQuoted(text)
	} else if json.Unmarshal(raw, &fields) != nil {
		return nil, fmt.Errorf("buildFlags must be a string or a list of strings")
	}
	var flags []string
	for i := 0; i < len(fields); i++ {
		f := fields[i]
		name, value, hasValue := strings.Cut(strings.TrimLeft(f, "-"), "=")
		switch {
		case !strings.HasPrefix(f, "-"):
			return nil, fmt.Errorf("buildFlags: %q is not a flag", f)
		case name == "trimpath" && !hasValue:
			flags = append(flags, "-trimpath")
		case name == "tags" || name == "mod":
			if !hasValue {
				if i+1 >= len(fields) {
					return nil, fmt.Errorf("buildFlags: -%s needs a value", name)
				}
				i++
				value = fields[i]
			}
			if name == "mod" && value != "readonly" && value != "vendor" && value != "mod" {
				return nil, fmt.Errorf("buildFlags: -mod must be readonly, vendor or mod")
			}
			flags = append(flags, "-"+name+"="+value)
		default:
			return nil, fmt.Errorf("buildFlags: %s is not allowed in the Mesh sandbox (only -tags, -trimpath and -mod)", f)
		}
	}
	return flags, nil
}

// splitQuoted splits s at spaces outside single or double quotes, removing the quotes.
func splitQuoted(s string) []string {
	var fields []string
	var cur strings.Builder
	var quote rune
	inField := false
	for _, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '\'' || r == '"':
			quote, inField = r, true
		case r == ' ' || r == '\t' || r == '\n':
			if inField {
				fields = append(fields, cur.String())
				cur.Reset()
				inField = false
			}
		default:
			cur.WriteRune(r)
			inField = true
		}
	}
	if inField {
		fields = append(fields, cur.String())
	}
	return fields
}

func stringArgument(arguments map[string]json.RawMessage, key string) string {
	var s string
	if raw, ok := arguments[key]; ok {
		json.Unmarshal(raw, &s)
	}
	return s
}

// launchError is the error response Delve sends for a launch it cannot make.
func launchError(requestSeq int, detail string) []byte {
	body, _ := json.Marshal(map[string]any{
		"seq": 0, "type": "response", "request_seq": requestSeq, "success": false, "command": "launch",
		"message": "Failed to launch",
		"body":    map[string]any{"error": map[string]any{"id": 3000, "format": detail, "showUser": true}},
	})
	return frame(body)
}

func frame(body []byte) []byte {
	return append([]byte(fmt.Sprintf("Content-Length: %d\r\n\r\n", len(body))), body...)
}
