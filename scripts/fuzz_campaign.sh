#!/usr/bin/env bash
# Long fuzzing campaign (hours), beside the short reproducible CI run of scripts/fuzz.sh.
# For each target: libFuzzer in fork mode (keeps going after a crash) from a corpus kept between
# campaigns in build-fuzz/campaign/<target>/corpus, under `nice`. Afterwards it appends one row
# per target to fuzz/CAMPAIGN.md (date, commit, target, seconds, seed, executions, crashes,
# corpus size) and copies every new crash input to fuzz/regressions/<target without _fuzz>/, where
# scripts/fuzz.sh replays it on every CI run from then on. Commit both. See fuzz/README.md.
#
# Usage: scripts/fuzz_campaign.sh SECONDS_PER_TARGET [TARGET...]   (default: every target)
# Environment: HOLDFAST_FUZZ_SEED (default: random, recorded), HOLDFAST_FUZZ_FORKS (default 1),
#              HOLDFAST_FUZZ_NICE (default 10).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:?usage: scripts/fuzz_campaign.sh SECONDS_PER_TARGET [TARGET...]}"
shift
[[ "$seconds" =~ ^[1-9][0-9]*$ ]] || { echo "fuzz_campaign: seconds must be a positive integer" >&2; exit 2; }
forks="${HOLDFAST_FUZZ_FORKS:-1}"
niceness="${HOLDFAST_FUZZ_NICE:-10}"
log=fuzz/CAMPAIGN.md

CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DHOLDFAST_FUZZ=ON -DHOLDFAST_WERROR=ON \
  -DHOLDFAST_ONLY=base -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
if (($#)); then targets="$*"; else
  targets=$(find fuzz -maxdepth 1 -name '*_fuzz.cc' -printf '%f\n' | sed 's/\.cc$//' | sort)
fi
commit=$(git rev-parse --short=12 HEAD)
git diff --quiet HEAD -- src fuzz/*.cc fuzz/CMakeLists.txt CMakeLists.txt cmake || commit="$commit+changes"

# True when a crash input is byte-identical to a kept regression (libFuzzer re-finds those while
# loading the seed corpus until the bug is fixed): not a new finding.
known_input() {
  local f
  for f in "$2"/*; do [ -f "$f" ] && cmp -s "$1" "$f" && return 0; done
  return 1
}

for t in $targets; do
  [ -f "fuzz/$t.cc" ] || { echo "fuzz_campaign: no target fuzz/$t.cc" >&2; exit 2; }
  nice -n "$niceness" cmake --build build-fuzz --target "$t" >/dev/null
  home="build-fuzz/campaign/$t"
  mkdir -p "$home/corpus" "$home/artifacts"
  # A copy of the binary: fork mode re-runs it for every job, and a rebuild must not swap it.
  cp "build-fuzz/fuzz/$t" "$home/$t"
  for seeds in "fuzz/corpus/${t%%_*}" "fuzz/regressions/${t%_fuzz}"; do
    [ -d "$seeds" ] && find "$seeds" -type f ! -name '*.md' -exec cp -n {} "$home/corpus"/ \;
  done
  seed="${HOLDFAST_FUZZ_SEED:-$((RANDOM * 32768 + RANDOM))}"
  started=$(date -u +%Y-%m-%dT%H:%MZ)
  rm -f "$home"/artifacts/*
  echo "fuzz_campaign: $t for ${seconds}s, seed $seed, corpus $(ls "$home/corpus" | wc -l) files"
  nice -n "$niceness" "./$home/$t" -fork="$forks" -ignore_crashes=1 -ignore_ooms=1 -ignore_timeouts=1 \
    -seed="$seed" -max_total_time="$seconds" -max_len=4096 -artifact_prefix="$home/artifacts/" \
    "$home/corpus" >"$home/last.log" 2>&1 || true
  # Fork mode's progress lines: "#<executions>: cov: ... oom/timeout/crash: O/T/C time: ...".
  last=$(grep -E '^#[0-9]+: cov:' "$home/last.log" | tail -1)
  executions=$(sed -E 's/^#([0-9]+):.*/\1/' <<<"${last:-#0:}")
  failures=$(sed -nE 's/.*oom\/timeout\/crash: ([0-9]+\/[0-9]+\/[0-9]+).*/\1/p' <<<"$last")
  kept=0
  for artifact in "$home"/artifacts/crash-* "$home"/artifacts/leak-*; do
    [ -f "$artifact" ] || continue
    known_input "$artifact" "fuzz/regressions/${t%_fuzz}" && continue
    mkdir -p "fuzz/regressions/${t%_fuzz}"
    cp -n "$artifact" "fuzz/regressions/${t%_fuzz}/$t-$(basename "$artifact").bin"
    kept=$((kept + 1))
  done
  corpus=$(ls "$home/corpus" | wc -l)
  printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$started" "$commit" "$t" "$seconds" "$seed" \
    "$executions" "${failures:-?}" "$kept" "$corpus" >>"$log"
  echo "fuzz_campaign: $t: $executions executions, oom/timeout/crash ${failures:-?}, $kept crash input(s) kept"
done

# Totals over every campaign recorded, per target (the goal is 10^8 executions per parser).
echo "fuzz_campaign: executions recorded in $log so far:"
awk -F'|' '$4 ~ /_fuzz/ { sum[$4] += $7 } END { for (t in sum) printf "  %s %d\n", t, sum[t] }' "$log" | sort
