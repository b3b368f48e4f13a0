#!/usr/bin/env bash
# Bounded fuzzing of holdfast's parsers with libFuzzer (clang), from the seed corpus in
# fuzz/corpus. Usage: scripts/fuzz.sh [seconds per target, default 60].
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DHOLDFAST_FUZZ=ON -DHOLDFAST_ONLY=base \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
targets=$(find fuzz -maxdepth 1 -name '*_fuzz.cc' -printf '%f\n' | sed 's/\.cc$//' | sort)
for t in $targets; do
  cmake --build build-fuzz --target "$t" >/dev/null
  corpus_seed="fuzz/corpus/${t%%_*}"
  work=$(mktemp -d)
  [ -d "$corpus_seed" ] && cp -r "$corpus_seed"/. "$work"/
  echo "fuzz: $t for ${seconds}s"
  status=0
  ./build-fuzz/fuzz/"$t" -max_total_time="$seconds" -max_len=4096 -print_final_stats=1 "$work" \
    >"$work.log" 2>&1 || status=$?
  grep -E "^Done|ERROR|SUMMARY" "$work.log" || true
  if [ "$status" -ne 0 ]; then
    tail -40 "$work.log"
    echo "fuzz: $t FAILED (exit $status); the crashing input is in the current directory (crash-*)"
    exit "$status"
  fi
  rm -rf "$work" "$work.log"
done
