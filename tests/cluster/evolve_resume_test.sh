#!/usr/bin/env bash
# A run killed with SIGKILL at a random moment and resumed from its run file ends exactly as
# the uninterrupted run; so does one stopped with SIGTERM (exit 130, a resume hint on stderr),
# and one whose run file was truncated on disk (the .prev checkpoint is used, with a warning).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/evolve_support.sh"

generations=30
slow="objective.function.seconds_per_evaluation=0.01"
write_function_config "$work/run.toml" "$work/whole.h5" $generations
"$evomem" --quiet evolve --config "$work/run.toml" --set "$slow" > /dev/null

# Waits until the run file of a background run holds at least $2 generations.
wait_for_generations() {
  for _ in $(seq 1 600); do
    if [[ -f "$1" ]] && "$PYTHON" -c "import h5py,sys; sys.exit(int(h5py.File('$1','r').attrs['generations'] < $2))" 2>/dev/null; then
      return 0
    fi
    sleep 0.05
  done
  fail "no checkpoint with $2 generations appeared in $1"
}

stop_at=$((RANDOM % 20 + 3))
"$evomem" --quiet evolve --config "$work/run.toml" --set "$slow" --set "run.output=\"$work/killed.h5\"" > /dev/null &
runner=$!
wait_for_generations "$work/killed.h5" "$stop_at"
kill -KILL "$runner"
wait "$runner" 2>/dev/null || true
"$evomem" --quiet evolve --resume "$work/killed.h5" > /dev/null
same_run "$work/whole.h5" "$work/killed.h5"

"$evomem" --quiet evolve --config "$work/run.toml" --set "$slow" --set "run.output=\"$work/stopped.h5\"" \
  > /dev/null 2> "$work/stopped.err" &
runner=$!
wait_for_generations "$work/stopped.h5" 5
kill -TERM "$runner"
set +e
wait "$runner"
code=$?
set -e
[[ $code -eq 130 ]] || fail "SIGTERM: exit $code, expected 130"
grep -q -- "--resume $work/stopped.h5" "$work/stopped.err" || fail "no resume hint: $(cat "$work/stopped.err")"
"$evomem" --quiet evolve --resume "$work/stopped.h5" > /dev/null
same_run "$work/whole.h5" "$work/stopped.h5"

# Resume a finished 20-generation run to 30 generations from a truncated file: the previous
# checkpoint (19 generations) is used and the run still ends where the whole one did.
write_function_config "$work/short.toml" "$work/cut.h5" 20
"$evomem" --quiet evolve --config "$work/short.toml" > /dev/null
[[ -f "$work/cut.h5.prev" ]] || fail "no previous checkpoint kept"
truncate -s $(( $(stat -c %s "$work/cut.h5") / 2 )) "$work/cut.h5"
"$evomem" evolve --resume "$work/cut.h5" --set run.generations=$generations > /dev/null 2> "$work/cut.err"
grep -q "cut.h5.prev" "$work/cut.err" || fail "no warning about the previous checkpoint: $(cat "$work/cut.err")"
same_run "$work/whole.h5" "$work/cut.h5"
