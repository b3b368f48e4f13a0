#!/usr/bin/env bash
# Configures and builds holdfast into build/ (Release with debug info, warnings as errors:
# the developer and CI build; a plain `cmake -S . -B b` leaves HOLDFAST_WERROR off).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHOLDFAST_WERROR=ON "$@" >/dev/null
cmake --build build -j"$(nproc)"
