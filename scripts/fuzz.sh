#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ (the `fuzz` preset: clang-14, AddressSanitizer +
# UndefinedBehaviorSanitizer, into build-fuzz/) and runs each for SECONDS (default 20) on a copy
# of its seed corpus fuzz/corpus/<target>/, with fuzz/dict/<target>.dict when there is one.
# Exit 1 when a target crashes, leaks, hangs (-timeout=10) or passes 4 GB; the input that did it
# is kept in build-fuzz/fuzz-runs/<target>/ and the log's tail is printed (docs/layout.md, "Fuzzing").
#   bash scripts/fuzz.sh [SECONDS] [TARGET ...]
# EVOMEM_FUZZ_JOBS sets the build's parallel jobs (default: all cores).
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

seconds="${1:-20}"
[[ "$seconds" =~ ^[0-9]+$ ]] || {
  echo "usage: bash scripts/fuzz.sh [SECONDS] [TARGET ...]" >&2
  exit 2
}
shift $(($# > 0 ? 1 : 0))
targets=("$@")
if ((${#targets[@]} == 0)); then
  for folder in fuzz/corpus/*/; do targets+=("$(basename "$folder")"); done
fi

cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j"${EVOMEM_FUZZ_JOBS:-$(nproc)}"

export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}" OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}"
failed=()
for target in "${targets[@]}"; do
  binary="build-fuzz/fuzz/fuzz_${target}"
  [[ -x "$binary" && -d "fuzz/corpus/${target}" ]] || {
    echo "fuzz: no target '${target}' (one per folder of fuzz/corpus/)" >&2
    exit 2
  }
  run="build-fuzz/fuzz-runs/${target}"
  rm -rf "$run"
  mkdir -p "$run/corpus"
  cp -R "fuzz/corpus/${target}/." "$run/corpus/"
  options=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 -artifact_prefix="$run/")
  [[ -f "fuzz/dict/${target}.dict" ]] && options+=(-dict="fuzz/dict/${target}.dict")
  start=$SECONDS
  if "$binary" "${options[@]}" "$run/corpus" >"$run/log" 2>&1; then
    echo "fuzz ${target}: $(grep -o 'stat::number_of_executed_units: *[0-9]*' "$run/log" | grep -o '[0-9]*$') runs in $((SECONDS - start)) s, no finding"
  else
    echo "fuzz ${target}: FINDING (log: $run/log, input: $(ls "$run" | grep -E '^(crash|leak|timeout|oom|slow-unit)-' | head -n 1))" >&2
    tail -n 40 "$run/log" >&2
    failed+=("$target")
  fi
done
if ((${#failed[@]})); then
  echo "fuzz: findings in ${failed[*]}" >&2
  exit 1
fi
