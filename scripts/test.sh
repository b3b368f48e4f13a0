#!/usr/bin/env bash
# Sets up, builds and runs every test: unit, story and property tests, the crash-recovery test
# and the interoperability test (all under CTest), then a bounded fuzz run of every parser.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
ctest --test-dir build --output-on-failure -j"$(nproc)" --timeout 900
bash scripts/fuzz.sh "${HOLDFAST_FUZZ_SECONDS:-60}"
