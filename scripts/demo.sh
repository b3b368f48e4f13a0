#!/usr/bin/env bash
# Sets up, builds and runs holdfast's main job on its embedded defaults: the server on a local
# data directory (./holdfast-data) with the demo portfolio and a card security key store
# (./holdfast-data.keys: master key, CVK, PVK, IMK-AC, ZPK, PAN key; the PAN hashing key in
# ./holdfast-data.pan.key, both outside the data directory), a round of ISO 8583
# traffic over TCP (CVV2, PIN and ARQC values that verify and some that do not), and a report
# of what happened; then the seed's attack (a CNY 600 card drained offline abroad) replayed
# through the engine, holdfast side by side with the legacy issuer.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
build/src/cli/holdfast demo --data holdfast-data "$@"
echo
echo "The seed's attack, replayed (holdfast scenario run NAME; holdfast scenario list for all):"
build/src/cli/holdfast scenario run seed-offline-burst
