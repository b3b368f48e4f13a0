#!/usr/bin/env bash
# Runs N SIGKILL rounds of the crash-recovery test (tests/crash) and prints the tally.
#
#   scripts/crash_rounds.sh N [ROUNDS_PER_RUN]      (default N 1000, 50 rounds per run)
#
# The rounds run as ceil(N / ROUNDS_PER_RUN) runs of build/tests/crash/crash_recovery_test, run i
# with seed i on a fresh data directory (so restart time stays bounded). Each run kills the
# server ROUNDS_PER_RUN times under mixed load (0100, 0120/0220, 0400/0420, presentments, admin
# commands) and checks that nothing acknowledged is lost or applied twice. A failed run is
# reported with its seed (re-run it with `--seed`) and its log kept; the script goes on and exits
# 1 at the end. Needs a build: scripts/build.sh (or cmake --build build --target
# crash_recovery_test holdfast). HOLDFAST_BUILD_DIR overrides build/.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
build="${HOLDFAST_BUILD_DIR:-$repo/build}"
total="${1:-1000}"
per_run="${2:-50}"
test_bin="$build/tests/crash/crash_recovery_test"
holdfast="$build/src/cli/holdfast"
for f in "$test_bin" "$holdfast"; do
  [[ -x "$f" ]] || { echo "crash_rounds: $f not built (scripts/build.sh)" >&2; exit 2; }
done
[[ "$total" =~ ^[1-9][0-9]*$ && "$per_run" =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 N [ROUNDS_PER_RUN]" >&2; exit 2; }

logs="$(mktemp -d "${TMPDIR:-/tmp}/holdfast-crash-rounds-XXXXXX")"
rounds=0 acknowledged=0 in_doubt=0 duplicates=0 mid_snapshot=0 lost=0 doubled=0 failed_runs=0
began=$(date +%s)
run=0
while (( rounds + failed_runs * per_run < total )); do
  run=$((run + 1))
  n=$(( total - rounds - failed_runs * per_run < per_run ? total - rounds - failed_runs * per_run : per_run ))
  log="$logs/run-$run.log"
  if "$test_bin" --holdfast "$holdfast" --rounds "$n" --seed "$run" --work-dir "$logs/work-$run" >"$log" 2>&1; then
    tally="$(grep '^TALLY ' "$log")"
    get() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" <<<"$tally"; }
    rounds=$((rounds + $(get rounds)))
    acknowledged=$((acknowledged + $(get acknowledged)))
    in_doubt=$((in_doubt + $(get in_doubt)))
    duplicates=$((duplicates + $(get duplicates_checked)))
    mid_snapshot=$((mid_snapshot + $(get mid_snapshot)))
    lost=$((lost + $(get lost)))
    doubled=$((doubled + $(get doubled)))
    echo "crash_rounds: run $run (seed $run): $n rounds passed; $rounds of $total so far"
  else
    failed_runs=$((failed_runs + 1))
    echo "crash_rounds: run $run (seed $run) FAILED; log: $log" >&2
    grep -m3 'FAILED' "$log" >&2 || tail -n 5 "$log" >&2
  fi
done
seconds=$(( $(date +%s) - began ))
echo "crash_rounds: TALLY rounds=$rounds acknowledged=$acknowledged in_doubt=$in_doubt" \
     "duplicates_checked=$duplicates mid_snapshot=$mid_snapshot lost=$lost doubled=$doubled" \
     "failed_runs=$failed_runs seconds=$seconds"
if (( failed_runs > 0 )); then exit 1; fi
rm -rf "$logs"
