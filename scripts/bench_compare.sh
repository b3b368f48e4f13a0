#!/usr/bin/env bash
# The engine against an earlier commit, alternately in one sitting (ratios, not absolutes):
# builds REV's engine_bench in a worktree (build-compare/), then runs REV and the working tree's
# engine_bench ROUNDS times each, alternating. Usage: scripts/bench_compare.sh REV [ROUNDS=2]
set -euo pipefail
cd "$(dirname "$0")/.."
rev="${1:?usage: scripts/bench_compare.sh REV [ROUNDS]}" rounds="${2:-2}"
cmake --build build --target engine_bench >/dev/null
dir=build-compare/src
[ -d "$dir" ] || git worktree add -q --detach "$dir" "$rev"
git -C "$dir" checkout -q --detach "$rev"
cmake -S "$dir" -B build-compare/build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-compare/build --target engine_bench >/dev/null
filter='BM_Authorize/|BM_AuthorizeExpire'
for ((i = 1; i <= rounds; i++)); do
  for b in build-compare/build/bench/engine_bench build/bench/engine_bench; do
    echo "== $b ($([ "${b%%/*}" = build ] && echo current || echo "$rev"))"
    "$b" --benchmark_filter="$filter" | grep -E '^BM_'
  done
done
