#!/usr/bin/env bash
# A Docker daemon for the debug bridge and `mesh run` (their tests and local use), on a fresh
# Debian 12 machine.
#
#   scripts/docker-daemon.sh [start]   # install what is missing, start dockerd unless one answers
#   scripts/docker-daemon.sh stop      # stop the dockerd this script started
#
# start: as root, installs docker.io, golang-go and delve when missing (Go and Delve are what the
# runtime image is built from: runtime/build-rootfs.sh). If /var/run/docker.sock already answers,
# that daemon is used as it is. Otherwise it starts `dockerd --bridge=none --iptables=false` in the
# background — no default bridge network, no iptables rules: Mesh's containers only ever run with
# network none — logging to $MESH_DOCKERD_LOG (default /tmp/mesh-dockerd.log), and waits up to
# ${MESH_DOCKERD_TIMEOUT:-60} s until `docker version` reaches it. Extra dockerd arguments (e.g.
# --storage-driver=vfs where overlayfs is unavailable) come from $MESH_DOCKERD_ARGS. Exits non-zero
# with a message on stderr if the daemon does not come up. $MESH_DOCKER_SOCK (default
# /var/run/docker.sock) and $MESH_DOCKERD_PIDFILE (default /run/mesh-dockerd.pid) allow a second,
# separate daemon (then also pass --data-root, --exec-root and --pidfile in MESH_DOCKERD_ARGS).
set -euo pipefail

SOCK="${MESH_DOCKER_SOCK:-/var/run/docker.sock}"
PIDFILE="${MESH_DOCKERD_PIDFILE:-/run/mesh-dockerd.pid}"
LOG="${MESH_DOCKERD_LOG:-/tmp/mesh-dockerd.log}"
TIMEOUT="${MESH_DOCKERD_TIMEOUT:-60}"

log() { echo "docker-daemon: $*" >&2; }
die() { log "$*"; exit 1; }
is_root() { [ "$(id -u)" = 0 ]; }
answers() { docker -H "unix://$SOCK" version --format '{{.Server.Version}}' >/dev/null 2>&1; }

ensure_packages() {
    local missing=()
    command -v dockerd >/dev/null || missing+=(docker.io)
    command -v docker >/dev/null || missing+=(docker.io)
    command -v go >/dev/null || missing+=(golang-go)
    command -v dlv >/dev/null || missing+=(delve)
    [ ${#missing[@]} -eq 0 ] && return
    is_root || die "missing ${missing[*]} (install them, or run as root)"
    mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y --no-install-recommends "${missing[@]}" >&2; then
        apt-get update >&2
        apt-get install -y --no-install-recommends "${missing[@]}" >&2
    fi
    command -v dockerd >/dev/null && command -v docker >/dev/null || die "docker.io installed but dockerd or docker is missing"
}

ours() { # the pid of the dockerd we started, if it still runs
    [ -f "$PIDFILE" ] || return 1
    local pid
    pid="$(cat "$PIDFILE")"
    [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dockerd ] && echo "$pid"
}

start() {
    ensure_packages
    if answers; then
        log "dockerd already answers on $SOCK ($(docker -H "unix://$SOCK" version --format '{{.Server.Version}}'))"
        return
    fi
    is_root || die "no Docker daemon answers on $SOCK, and starting one needs root"
    local pid
    if ! pid="$(ours)"; then
        log "starting dockerd --bridge=none --iptables=false (log: $LOG)"
        # shellcheck disable=SC2086 # MESH_DOCKERD_ARGS is a list of words
        setsid dockerd -H "unix://$SOCK" --bridge=none --iptables=false ${MESH_DOCKERD_ARGS:-} >>"$LOG" 2>&1 </dev/null &
        pid=$!
        echo "$pid" >"$PIDFILE"
    fi
    local deadline=$((SECONDS + TIMEOUT))
    until answers; do
        if ! kill -0 "$pid" 2>/dev/null; then
            rm -f "$PIDFILE"
            tail -n 20 "$LOG" >&2 || true
            die "dockerd exited during start-up (log: $LOG)"
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            tail -n 20 "$LOG" >&2 || true
            die "dockerd (pid $pid) did not answer on $SOCK within $TIMEOUT s (log: $LOG)"
        fi
        sleep 0.2
    done
    log "dockerd ready (pid $pid, $(docker -H "unix://$SOCK" version --format '{{.Server.Version}}'))"
}

stop() {
    local pid
    if ! pid="$(ours)"; then
        rm -f "$PIDFILE"
        log "no dockerd started by this script is running"
        return
    fi
    log "stopping dockerd (pid $pid)"
    kill -TERM "$pid"
    for _ in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.2
    done
    if kill -0 "$pid" 2>/dev/null; then
        log "dockerd did not stop within 20 s; killing it"
        kill -KILL "$pid"
    fi
    rm -f "$PIDFILE"
}

case "${1:-start}" in
start) start ;;
stop) stop ;;
*) die "usage: scripts/docker-daemon.sh [start|stop]" ;;
esac
