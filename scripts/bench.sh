#!/usr/bin/env bash
# The measurements docs/BENCHMARKS.md quotes, run on this machine now. Prints the conditions
# (commit, CPU, load average) and then each program's own output; nothing is written to the
# repository. Builds only the targets it runs, in build/ configured as scripts/build.sh does.
#
# Usage: scripts/bench.sh [micro|server|scenarios|all]   (default: all)
#   micro   the Google Benchmark programs in bench/: engine_bench, iso8583_bench,
#           journal_bench (its fdatasyncs go to $TMPDIR's file system), crypto_bench
#   server  `holdfast serve` on a fresh data directory under $TMPDIR and `holdfast loadgen` over
#           loopback, 100,000 cards: a 10 s closed loop (4 connections x 256 in flight), then a
#           10 s open loop at 50,000/s; each prints one JSON object with the server's stats
#           (snapshot_fork_us_max: the engine thread's longest pause for a snapshot's fork()).
#   scenarios  `holdfast scenario run` for the seed's three attacks, holdfast beside legacy
#           (deterministic: money, not timings).
set -euo pipefail
cd "$(dirname "$0")/.."
what="${1:-all}"
case "$what" in
  micro | server | scenarios | all) ;;
  *) echo "usage: scripts/bench.sh [micro|server|scenarios|all]" >&2; exit 2 ;;
esac

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHOLDFAST_WERROR=ON >/dev/null
targets=()
if [ "$what" = all ] || [ "$what" = micro ]; then targets+=(engine_bench iso8583_bench journal_bench crypto_bench); fi
if [ "$what" != micro ]; then targets+=(holdfast); fi
cmake --build build -j"$(nproc)" --target "${targets[@]}" >/dev/null
echo "bench: commit $(git rev-parse --short=12 HEAD)$(git diff --quiet HEAD -- src bench || echo ' +changes')," \
  "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs))," \
  "load average $(cut -d' ' -f1-3 /proc/loadavg)"

run_micro() {
  build/bench/engine_bench
  build/bench/iso8583_bench
  build/bench/journal_bench  # its journal goes to a fresh directory under $TMPDIR
  build/bench/crypto_bench
}

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

run_server() {
  local work iso admin server
  work=$(mktemp -d)
  iso=$(free_port)
  admin=$(free_port)
  printf '{"iso_port": %s, "admin_port": %s, "stats_log_interval_s": 3600}\n' "$iso" "$admin" >"$work/config.json"
  build/src/cli/holdfast serve --data "$work/data" --config "$work/config.json" >"$work/server.log" 2>&1 &
  server=$!
  trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; rm -rf "$work"' RETURN
  for _ in $(seq 100); do (echo >"/dev/tcp/127.0.0.1/$admin") 2>/dev/null && break; sleep 0.1; done
  local lg=(build/src/cli/holdfast loadgen --port "$iso" --admin "127.0.0.1:$admin" --cards 100000)
  "${lg[@]}" --rate 1000 --duration-s 1 --warmup-s 0 --connections 1 >/dev/null  # loads the portfolio
  echo "bench: server, closed loop"
  "${lg[@]}" --no-load --max --connections 4 --in-flight 256 --duration-s 10 --warmup-s 2 --json
  echo "bench: server, open loop 50,000/s"
  "${lg[@]}" --no-load --rate 50000 --connections 4 --duration-s 10 --warmup-s 2 --json
}

run_scenarios() {
  for name in seed-offline-burst seed-uplift-abuse seed-late-presentment; do
    build/src/cli/holdfast scenario run "$name"
  done
}

if [ "$what" = all ] || [ "$what" = micro ]; then run_micro; fi
if [ "$what" = all ] || [ "$what" = server ]; then run_server; fi
if [ "$what" = all ] || [ "$what" = scenarios ]; then run_scenarios; fi
