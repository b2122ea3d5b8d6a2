#!/usr/bin/env bash
# Same configuration and seed -> identical run files (history, genomes, strategy state) in one
# process and under mpirun with 1, 2 and 4 workers; with workers that throw on 10% of their
# evaluations and stall past the item timeout on 5%, the run still completes every generation
# and the history counts the faults.
set -euo pipefail
read -r -a mpirun <<<"$EVOMEM_MPIRUN"
source "$(dirname "${BASH_SOURCE[0]}")/evolve_support.sh"

write_function_config "$work/run.toml" "$work/local.h5" 12
"$evomem" --quiet evolve --config "$work/run.toml" > /dev/null
for ranks in 2 3 5; do
  "${mpirun[@]}" -np "$ranks" "$evomem" --quiet evolve --config "$work/run.toml" --set "run.output=\"$work/np$ranks.h5\"" \
    > /dev/null
  same_run "$work/local.h5" "$work/np$ranks.h5"
done

"${mpirun[@]}" -np 4 "$evomem" --quiet evolve --config "$work/run.toml" --set "run.output=\"$work/faults.h5\"" \
  --set faults.throw_probability=0.1 --set faults.hang_probability=0.05 --set faults.hang_seconds=1.5 \
  --set executor.item_timeout_seconds=0.3 --set objective.function.seconds_per_evaluation=0.01 > /dev/null
"$PYTHON" - "$work/faults.h5" <<'PY' || fail "the fault-injection run lost generations or did not count its faults"
import sys
import h5py
run = h5py.File(sys.argv[1], "r")
history = run["history"]
assert run.attrs["generations"] == 12 and len(history["best"]) == 12
assert history["errors"][:].sum() > 0, "no worker error counted"
assert history["timeouts"][:].sum() > 0, "no timeout counted"
PY
