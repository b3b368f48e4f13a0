#!/usr/bin/env bash
# Formats holdfast's C++ sources with clang-format and the repository's .clang-format.
# Usage: scripts/format.sh [--check] [FILE...]   (default: every tracked .cc and .h file)
#   --check  changes nothing; lists the files that are not formatted and exits 1 if any.
set -euo pipefail
cd "$(dirname "$0")/.."
check=0
if [ "${1:-}" = "--check" ]; then check=1; shift; fi
command -v clang-format >/dev/null || { echo "format: clang-format not found (scripts/setup.sh)" >&2; exit 2; }
if (($#)); then files=("$@"); else mapfile -t files < <(git ls-files '*.cc' '*.h'); fi
if ((check == 0)); then
  clang-format -i --style=file "${files[@]}"
  exit 0
fi
unformatted=0
for f in "${files[@]}"; do
  if ! clang-format --style=file "$f" | cmp -s - "$f"; then
    echo "format: $f is not formatted (scripts/format.sh $f)"
    unformatted=$((unformatted + 1))
  fi
done
((unformatted == 0)) || { echo "format: $unformatted file(s) to format" >&2; exit 1; }
