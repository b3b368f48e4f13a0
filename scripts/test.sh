#!/usr/bin/env bash
# Sets up, checks the formatting (scripts/format.sh), builds and runs every test: unit, story and property tests, the crash-recovery test
# and the interoperability test (all under CTest), then the regression replay and a bounded,
# fixed-seed fuzz run of every parser (scripts/fuzz.sh, fuzz/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/format.sh --check
bash scripts/build.sh
ctest --test-dir build --output-on-failure -j"$(nproc)" --timeout 900
# Fixed seeds and run counts (reproducible); HOLDFAST_FUZZ_SECONDS=N bounds by time instead.
bash scripts/fuzz.sh ${HOLDFAST_FUZZ_SECONDS:+"$HOLDFAST_FUZZ_SECONDS"}
