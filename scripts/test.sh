#!/usr/bin/env bash
# Sets up, builds and runs every test: unit and property tests (CTest), the bounded fuzz run,
# the crash-recovery test and the interoperability test against an independent implementation.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
ctest --test-dir build --output-on-failure -j"$(nproc)"
