#!/usr/bin/env bash
# Installs everything holdfast needs to build, test and run on Debian 12, as root.
# Idempotent: packages already present are left alone.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  clang libclang-rt-14-dev                 # libFuzzer target and sanitizers
  clang-format                             # scripts/format.sh
  libssl-dev                               # OpenSSL libcrypto: HMAC, AES, TDES, SM4
  nlohmann-json3-dev libcli11-dev libfmt-dev libspdlog-dev libasio-dev
  libsqlite3-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  python3
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js and npm drive the interoperability test with an independent ISO 8583 implementation.
if ! command -v node >/dev/null 2>&1; then missing+=(nodejs); fi
if ! command -v npm >/dev/null 2>&1; then missing+=(npm); fi

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
