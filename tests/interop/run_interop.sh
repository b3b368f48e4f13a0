#!/usr/bin/env bash
# Interop test: holdfast serve against an acquirer built on the npm library iso_8583@2.6.7.
#
#   tests/interop/run_interop.sh [path/to/holdfast]     (default: build/src/cli/holdfast)
#
# Installs the npm dependency if missing (npm ci, from package-lock.json), starts
# `holdfast serve` on a temporary data directory with free loopback ports, loads
# config/demo-portfolio.json through the admin port, runs iso8583_npm_peer.js, stops the server
# with SIGTERM and exits with the peer's status. The server is killed on any exit (trap); every
# step is bounded by a timeout. Exit codes: the peer's (0 all checks passed, 1 a check failed),
# 2 a usage error or a missing tool (node, npm, python3), 3 setup failed (npm, server start, portfolio load).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
holdfast="${1:-${HOLDFAST_BIN:-$repo/build/src/cli/holdfast}}"
if [[ ! -x "$holdfast" ]]; then
  echo "run_interop: holdfast binary not found or not executable: $holdfast" >&2
  exit 2
fi
# A missing tool is a failure (exit 2), never a skip: CTest must report it.
for tool in node npm python3; do
  command -v "$tool" >/dev/null || {
    echo "run_interop: FAILED: $tool is required and not on the PATH (scripts/setup.sh installs it)" >&2
    exit 2
  }
done

# ---- npm dependency (node_modules is not committed; the lock file is) ----
if [[ ! -f "$here/node_modules/iso_8583/package.json" ]]; then
  echo "run_interop: installing iso_8583 (npm ci)"
  (cd "$here" && timeout 180 npm ci --no-audit --no-fund) >&2 || { echo "run_interop: npm ci failed" >&2; exit 3; }
fi

# ---- temp data dir, config with free ports, server ----
work="$(mktemp -d "${TMPDIR:-/tmp}/holdfast-interop-XXXXXX")"
server_pid=""
cleanup() {
  local status=$?
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if [[ $status -ne 0 && -f "$work/server.log" ]]; then
    echo "run_interop: server log (last 30 lines):" >&2
    tail -n 30 "$work/server.log" >&2 || true
  fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Two free loopback ports (bind to port 0, read the port back, release). A race with another
# process taking the port in between is possible but unlikely; the start-up check catches it.
read -r iso_port admin_port < <(python3 - <<'EOF'
import socket
socks = []
for _ in range(2):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(*(s.getsockname()[1] for s in socks))
for s in socks:
    s.close()
EOF
)

cat >"$work/config.json" <<EOF
{
  "iso_address": "127.0.0.1", "iso_port": $iso_port, "framing": "len2", "spec": "iso87binbitmap",
  "admin_address": "127.0.0.1", "admin_port": $admin_port,
  "stats_log_interval_s": 3600, "shutdown_grace_ms": 2000
}
EOF

mkdir -p "$work/data"
"$holdfast" serve --data "$work/data" --config "$work/config.json" >"$work/server.log" 2>&1 &
server_pid=$!

# Wait (at most 15 s) until both ports accept connections.
port_open() { python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', int(sys.argv[1])), 0.5).close()" "$1" 2>/dev/null; }
ready=0
for _ in $(seq 1 150); do
  if ! kill -0 "$server_pid" 2>/dev/null; then break; fi
  if port_open "$iso_port" && port_open "$admin_port"; then ready=1; break; fi
  sleep 0.1
done
if [[ $ready -ne 1 ]]; then
  echo "run_interop: holdfast serve did not start listening on $iso_port/$admin_port" >&2
  exit 3
fi
echo "run_interop: holdfast serve pid $server_pid, ISO 127.0.0.1:$iso_port, admin 127.0.0.1:$admin_port"

if ! timeout 60 "$holdfast" portfolio "$repo/config/demo-portfolio.json" --admin "127.0.0.1:$admin_port" >"$work/portfolio.log" 2>&1; then
  echo "run_interop: loading the demo portfolio failed:" >&2
  cat "$work/portfolio.log" >&2
  exit 3
fi
echo "run_interop: demo portfolio loaded ($(wc -l <"$work/portfolio.log") admin replies)"

# ---- the peer ----
peer_status=0
timeout 60 node "$here/iso8583_npm_peer.js" "$iso_port" 127.0.0.1 || peer_status=$?

# ---- graceful stop: SIGTERM, wait (bounded) ----
kill -TERM "$server_pid"
stopped=0
for _ in $(seq 1 100); do
  if ! kill -0 "$server_pid" 2>/dev/null; then stopped=1; break; fi
  sleep 0.1
done
if [[ $stopped -eq 1 ]]; then
  server_status=0
  wait "$server_pid" || server_status=$?
  server_pid=""
  if [[ $server_status -ne 0 ]]; then
    echo "run_interop: holdfast serve exited with status $server_status after SIGTERM" >&2
    [[ $peer_status -eq 0 ]] && peer_status=1
  fi
else
  echo "run_interop: holdfast serve did not stop within 10 s of SIGTERM" >&2
  [[ $peer_status -eq 0 ]] && peer_status=1
fi
exit "$peer_status"
