#!/usr/bin/env bash
# Installs what is missing, builds evomem (Release) and runs the whole test suite except the
# tests labelled `gpu`. Extra arguments go to ctest (e.g. -L unit, -R Config).
# EVOMEM_WARNINGS_AS_ERRORS=ON (as CI sets it) makes compiler warnings errors.
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${EVOMEM_BUILD_DIR:-${repo_root}/build}"
jobs="$(nproc)"

bash "${repo_root}/scripts/setup.sh"
cmake -S "$repo_root" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release \
  -DEVOMEM_WARNINGS_AS_ERRORS="${EVOMEM_WARNINGS_AS_ERRORS:-OFF}"
cmake --build "$build_dir" -j"$jobs"
ctest --test-dir "$build_dir" --label-exclude gpu --output-on-failure -j"$jobs" "$@"
