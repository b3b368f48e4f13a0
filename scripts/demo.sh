#!/usr/bin/env bash
# Sets up, builds and runs holdfast's main job on its embedded defaults: the server on a local
# data directory (./holdfast-data) with the demo portfolio and a card security key store
# (./holdfast-data/keys: master key, CVK, PVK, IMK-AC, ZPK, PAN key), a round of ISO 8583
# traffic over TCP (CVV2, PIN and ARQC values that verify and some that do not), and a report
# of what happened.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
exec build/src/cli/holdfast demo --data holdfast-data "$@"
