#!/usr/bin/env bash
# Builds the root file system of the Mesh runtime image from this machine's own packages (no
# registry) and writes it as a tarball for `docker import` (Engine API: POST /images/create?fromSrc=-).
#
#   runtime/build-rootfs.sh OUT.tar
#
# Contents (see runtime/README.md): the Debian Go toolchain at its real path (only what `go build`,
# `go test` and `dlv debug` need), /usr/bin/dlv and the C library it and `go` link against, the
# relay at /usr/local/bin/mesh-relay, a user `mesh` (65532:65532, home /tmp), /etc/mesh-runtime
# (key=value: versions and paths), empty /tmp /workspace, and a warm, sealed (root-owned entries
# in sticky directories) Go build cache at /opt/gocache:
# the standard library compiled both with the flags `dlv debug` uses (-gcflags='all=-N -l') and
# with none, plus the test runner and vet facts of common packages, built inside the staged tree
# (as its root directory, as uid 65532) so that GOROOT and every path are those of the image.
# Needs root, golang-go, delve, tar and util-linux. Progress goes to stderr.
set -euo pipefail

OUT="${1:?usage: runtime/build-rootfs.sh OUT.tar}"
HERE="$(cd "$(dirname "$0")" && pwd)"
MESH_UID=65532

log() { echo "build-rootfs: $*" >&2; }
die() { log "$*"; exit 1; }

GO="$(command -v go)" || die "go not found (install golang-go)"
DLV="$(command -v dlv)" || die "dlv not found (install delve)"
GOROOT="$(dirname "$(dirname "$(readlink -f "$GO")")")" # /usr/lib/go-1.19
[ -x "$GOROOT/bin/go" ] && [ -d "$GOROOT/src/runtime" ] || die "unexpected Go layout at $GOROOT"
GOOS_ARCH="$("$GO" env GOOS)_$("$GO" env GOARCH)"

STAGE="$(mktemp -d /tmp/mesh-rootfs.XXXXXX)"
# (Never delete through a mount: the warm-up binds /dev and /proc, in its own mount namespace.)
trap 'if grep -q " $STAGE/" /proc/self/mountinfo; then log "left $STAGE (mounts)"; else rm -rf "$STAGE"; fi' EXIT
chmod 0755 "$STAGE" # it becomes / (mktemp made it 0700)
log "staging in $STAGE"

# --- the Go toolchain, dereferencing Debian's symlinks into /usr/share/go-1.19 ---
mkdir -p "$STAGE$GOROOT/bin" "$STAGE$GOROOT/pkg/tool/$GOOS_ARCH" "$STAGE/usr/bin"
cp -L "$GOROOT/VERSION" "$STAGE$GOROOT/"
cp -L "$GOROOT/bin/go" "$GOROOT/bin/gofmt" "$STAGE$GOROOT/bin/"
# The tools `go build`, `go test`, `go vet` and cgo-free builds run (not pprof, trace, doc, api...).
for tool in asm buildid cgo compile cover link pack test2json vet; do
    cp -L "$GOROOT/pkg/tool/$GOOS_ARCH/$tool" "$STAGE$GOROOT/pkg/tool/$GOOS_ARCH/"
done
cp -rL "$GOROOT/pkg/include" "$STAGE$GOROOT/pkg/"
# The standard library's sources, without its tests, test data and the sources of the commands
# (the tools above are prebuilt). The prebuilt archives in pkg/linux_amd64 are left out: the
# warm cache replaces them.
tar -C "$(readlink -f "$GOROOT/src")" --exclude='./cmd' --exclude='testdata' --exclude='*_test.go' -cf - . \
    | { mkdir -p "$STAGE$GOROOT/src" && tar -C "$STAGE$GOROOT/src" -xf -; }
ln -s "../lib/$(basename "$GOROOT")/bin/go" "$STAGE/usr/bin/go"
ln -s "../lib/$(basename "$GOROOT")/bin/gofmt" "$STAGE/usr/bin/gofmt"

# --- Delve, and the shared libraries of dlv and go (Debian's go links with libc) ---
cp -L "$DLV" "$STAGE/usr/bin/dlv"
mkdir -p "$STAGE/usr/lib" "$STAGE/usr/lib64"
ln -s usr/lib "$STAGE/lib"
ln -s usr/lib64 "$STAGE/lib64"
for lib in $(ldd "$DLV" "$GOROOT/bin/go" | grep -o '/[^ ]*' | sort -u); do
    [ -e "$lib" ] || continue
    real="$(readlink -f "$lib")"
    dest="$STAGE$(readlink -f "$(dirname "$lib")")/$(basename "$lib")" # /lib/x → /usr/lib/x
    mkdir -p "$(dirname "$dest")"
    cp -L "$real" "$dest"
done
# The dynamic loader by the path written in the binaries (/lib64/... → /usr/lib64/...).
if [ ! -e "$STAGE/usr/lib64/ld-linux-x86-64.so.2" ] && [ -e /lib64/ld-linux-x86-64.so.2 ]; then
    cp -L /lib64/ld-linux-x86-64.so.2 "$STAGE/usr/lib64/"
fi

# --- the relay (static) ---
mkdir -p "$STAGE/usr/local/bin"
(cd "$HERE/relay" && CGO_ENABLED=0 GOFLAGS=-buildvcs=false "$GO" build -trimpath -ldflags=-s \
    -o "$STAGE/usr/local/bin/mesh-relay" .)

# --- users, directories, metadata ---
mkdir -p "$STAGE/etc" "$STAGE/tmp" "$STAGE/workspace" "$STAGE/opt/gocache" "$STAGE/proc" "$STAGE/sys" "$STAGE/dev"
chmod 1777 "$STAGE/tmp"
chmod 0755 "$STAGE/workspace" "$STAGE/opt/gocache"
cat >"$STAGE/etc/passwd" <<EOF
root:x:0:0:root:/root:/sbin/nologin
mesh:x:$MESH_UID:$MESH_UID:mesh:/tmp:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
EOF
cat >"$STAGE/etc/group" <<EOF
root:x:0:
mesh:x:$MESH_UID:
nogroup:x:65534:
EOF
GO_VERSION="$("$GO" env GOVERSION)"
DLV_VERSION="$("$DLV" version | sed -n 's/^Version: //p')"
cat >"$STAGE/etc/mesh-runtime" <<EOF
go_version=${GO_VERSION#go}
dlv_version=$DLV_VERSION
goroot=$GOROOT
gocache=/opt/gocache
relay=/usr/local/bin/mesh-relay
user=$MESH_UID:$MESH_UID
built=$(date -u +%Y-%m-%dT%H:%M:%SZ)
EOF

# --- the warm build cache, built in the staged tree as it will run in a container ---
# As the mesh user, with the staged tree as / (unshare --root), in a private mount namespace that
# has /dev and /proc bound in (/dev/null; /proc/self/exe, by which go finds its GOROOT).
[ "$(id -u)" = 0 ] || die "must run as root (to build the warm GOCACHE as uid $MESH_UID in a chroot)"
chown "$MESH_UID:$MESH_UID" "$STAGE/opt/gocache"
warm() { # warm DIR COMMAND...: run COMMAND in DIR of the staged tree
    local wd="$1"
    shift
    env -i PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin HOME=/tmp GOCACHE=/opt/gocache GOPATH=/tmp/go \
        CGO_ENABLED=0 GOPROXY=off GOSUMDB=off GOFLAGS=-buildvcs=false GOTMPDIR=/tmp \
        unshare --mount --propagation private sh -c 'root="$1" wd="$2" && shift 2 &&
            mount --rbind /dev "$root/dev" && mount --rbind /proc "$root/proc" &&
            exec unshare --root="$root" --wd="$wd" --setgid='"$MESH_UID"' --setuid='"$MESH_UID"' -- "$@"' \
        sh "$STAGE" "$wd" "$@" 2>&1 | sed 's/^/    /' >&2
    return "${PIPESTATUS[0]}"
}
start=$(date +%s)
log "warming GOCACHE: go build std (plain, and -gcflags='all=-N -l' as dlv debug builds)"
warm / /usr/bin/go build std
warm / /usr/bin/go build -gcflags='all=-N -l' std
# A module using common packages, built and tested both ways and vetted: caches the test runner
# (testing, testmain's imports) and the vet facts `go test` needs for std packages.
mkdir -p "$STAGE/tmp/warm"
cat >"$STAGE/tmp/warm/go.mod" <<EOF
module warm

go 1.19
EOF
cat >"$STAGE/tmp/warm/main.go" <<'EOF'
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"time"
)

func main() {
	var wg sync.WaitGroup
	wg.Wait()
	b, _ := json.Marshal(map[string]int{"a": 1})
	w := bufio.NewWriter(os.Stdout)
	fmt.Fprintln(w, string(b), strings.ToUpper("x"), sort.IntsAreSorted(nil), time.Second, http.StatusOK)
	w.Flush()
}
EOF
cat >"$STAGE/tmp/warm/main_test.go" <<'EOF'
package main

import "testing"

func TestMain(t *testing.T) { main() }
EOF
chown -R "$MESH_UID:$MESH_UID" "$STAGE/tmp/warm"
warm /tmp/warm /usr/bin/go vet .
warm /tmp/warm /usr/bin/go test -count=1 .
warm /tmp/warm /usr/bin/go test -count=1 -gcflags='all=-N -l' .
warm /tmp/warm /usr/bin/go build -o /tmp/warm/bin .
warm /tmp/warm /usr/bin/go build -gcflags='all=-N -l' -o /tmp/warm/bin .
# Only the staged tree's own /tmp (never the mounts, which ended with the namespace).
[ -d "$STAGE/tmp" ] && find "$STAGE/tmp" -xdev -mindepth 1 -delete
log "GOCACHE warm in $(($(date +%s) - start)) s: $(du -sh "$STAGE/opt/gocache" | cut -f1)"

# --- seal the cache: entries root-owned and read-only in sticky, world-writable directories ---
# Go 1.19 cannot build with a read-only GOCACHE, so containers get a writable one (a volume seeded
# from this directory). Sealed, the warm entries cannot be changed, replaced or deleted by the
# container's user (who runs the debuggee), so a shared cache volume cannot be poisoned for other
# sessions; Go adds its new entries beside them, and fails silently (as designed) to refresh their
# mtimes or trim them. trim.txt is left out: the relay writes it (see keepCache in relay/main.go).
rm -f "$STAGE/opt/gocache/trim.txt"
chown -R 0:0 "$STAGE/opt/gocache"
find "$STAGE/opt/gocache" -type d -exec chmod 1777 {} +
find "$STAGE/opt/gocache" -type f -exec chmod 0444 {} +

# --- the tarball: everything root-owned except the mesh user's workspace ---
size() { du -sh "$1" | cut -f1; }
log "sizes: GOROOT $(size "$STAGE$GOROOT") (src $(size "$STAGE$GOROOT/src"), tools $(size "$STAGE$GOROOT/pkg/tool"))," \
    "GOCACHE $(size "$STAGE/opt/gocache"), dlv $(size "$STAGE/usr/bin/dlv"), relay $(size "$STAGE/usr/local/bin/mesh-relay")"
tar -C "$STAGE" --numeric-owner --owner=0 --group=0 --anchored --exclude=./workspace -cf "$OUT" .
tar -C "$STAGE" --numeric-owner --owner="$MESH_UID" --group="$MESH_UID" -rf "$OUT" ./workspace
log "wrote $OUT ($(du -h "$OUT" | cut -f1))"
