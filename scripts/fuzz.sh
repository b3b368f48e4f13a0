#!/usr/bin/env bash
# CI fuzzing of holdfast's parsers with libFuzzer (clang), reproducible: for every target,
#   1. replay every file under fuzz/regressions/<target without _fuzz>/ (must pass: each one
#      crashed once), then
#   2. fuzz from the seed corpus fuzz/corpus/<target name before the first _>/ plus those
#      regressions, with a fixed -seed and a fixed -runs count (each sized to take about a
#      minute on a loaded 2-core machine). Same commit, same clang -> same executions.
# A crash prints the crashing input in hex with the command that adds it to fuzz/regressions/.
# Conventions and the long-run campaign (scripts/fuzz_campaign.sh): fuzz/README.md.
#
# Usage: scripts/fuzz.sh            replay regressions, then fixed-seed, fixed-runs fuzzing
#        scripts/fuzz.sh --replay   replay regressions only
#        scripts/fuzz.sh SECONDS    fixed seeds but a time bound per target instead of -runs
#                                   (local use; a time bound is not exactly reproducible)
set -euo pipefail
cd "$(dirname "$0")/.."

# target -> "seed runs". Runs at ~2k-30k exec/s measured under load (fuzz/README.md).
declare -A plan=(
  [clearing_fuzz]="1101 150000"
  [engine_input_fuzz]="1102 120000"
  [gateway_fuzz]="1103 1500000"
  [iso8583_decode_fuzz]="1104 500000"
  [money_fuzz]="1105 8000"
  [risk_fuzz]="1106 400000"
)
mode=runs seconds=""
case "${1:-}" in
  "") ;;
  --replay) mode=replay ;;
  *[!0-9]* | 0) echo "usage: scripts/fuzz.sh [--replay | SECONDS]" >&2; exit 2 ;;
  *) mode=time seconds="$1" ;;
esac

CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DHOLDFAST_FUZZ=ON -DHOLDFAST_WERROR=ON \
  -DHOLDFAST_ONLY=base -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
targets=$(find fuzz -maxdepth 1 -name '*_fuzz.cc' -printf '%f\n' | sed 's/\.cc$//' | sort)

# Every regression directory must belong to a target, or its files would silently never run.
for dir in fuzz/regressions/*/; do
  [ -d "$dir" ] || continue
  stem=$(basename "$dir")
  grep -qx "${stem}_fuzz" <<<"$targets" || {
    echo "fuzz: fuzz/regressions/$stem/ names no target (expected one of: ${targets//_fuzz/})" >&2
    exit 1
  }
done

# Prints a crashing input in hex and how to keep it (CI logs are all a failed run leaves).
report_crash() {
  local target="$1" artifact="$2"
  echo "fuzz: $target crashed on $(basename "$artifact") ($(stat -c %s "$artifact") bytes), hex:"
  od -An -v -tx1 "$artifact" | tr -d ' \n' | fold -w 128
  echo
  echo "fuzz: keep it: python3 -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(sys.stdin.read().strip()))' \\"
  echo "        < hex.txt > fuzz/regressions/${target%_fuzz}/${target}-$(basename "$artifact").bin"
}

for t in $targets; do
  [ -n "${plan[$t]:-}" ] || { echo "fuzz: $t has no seed/runs entry in scripts/fuzz.sh" >&2; exit 1; }
  read -r seed runs <<<"${plan[$t]}"
  cmake --build build-fuzz --target "$t" >/dev/null
  binary=./build-fuzz/fuzz/"$t"
  regressions="fuzz/regressions/${t%_fuzz}"
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  mkdir "$work/corpus" "$work/artifacts"

  # 1. Regressions: files given as arguments are each run once.
  mapfile -t kept < <(find "$regressions" -type f ! -name '*.md' 2>/dev/null | sort)
  if ((${#kept[@]})); then
    echo "fuzz: $t replays ${#kept[@]} regression input(s) from $regressions/"
    if ! "$binary" "${kept[@]}" >"$work/replay.log" 2>&1; then
      tail -40 "$work/replay.log"
      echo "fuzz: $t FAILED on a kept regression input (see the log above: 'Running: <file>')"
      exit 1
    fi
    cp "${kept[@]}" "$work/corpus"/
  fi
  [ "$mode" = replay ] && continue

  # 2. Fixed-seed fuzzing from the seed corpus (libFuzzer adds what it finds to $work/corpus).
  corpus_seed="fuzz/corpus/${t%%_*}"
  [ -d "$corpus_seed" ] && cp -r "$corpus_seed"/. "$work/corpus"/
  if [ "$mode" = runs ]; then bound="-runs=$runs"; else bound="-max_total_time=$seconds"; fi
  echo "fuzz: $t -seed=$seed $bound"
  status=0
  # -reload=0: by default libFuzzer re-reads its corpus directory every second, which makes the
  # inputs it runs depend on timing; without it the same seed and runs execute the same inputs.
  "$binary" -seed="$seed" "$bound" -reload=0 -max_len=4096 -print_final_stats=1 \
    -artifact_prefix="$work/artifacts/" "$work/corpus" >"$work/fuzz.log" 2>&1 || status=$?
  grep -E "^Done|ERROR|SUMMARY|stat::number_of_executed_units" "$work/fuzz.log" || true
  if [ "$status" -ne 0 ]; then
    tail -40 "$work/fuzz.log"
    for artifact in "$work"/artifacts/*; do [ -f "$artifact" ] && report_crash "$t" "$artifact"; done
    echo "fuzz: $t FAILED (exit $status)"
    exit "$status"
  fi
  rm -rf "$work"
  trap - EXIT
done
