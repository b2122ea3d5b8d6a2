#!/usr/bin/env bash
# `evomem titans search` / `export` / `titans eval` end to end, scaled down to seconds: the same
# search in one process and with two MPI workers gives identical run files, an interrupted
# search resumed gives the same run, the exported gates evaluate from the file as from the
# run, and bad input is one line and exit 1.
set -euo pipefail
read -r -a mpirun <<<"$EVOMEM_MPIRUN"
source "$(dirname "${BASH_SOURCE[0]}")/evolve_support.sh"

cat > "$work/titans.toml" <<TOML
[run]
seed = 3
generations = 3
output = "$work/local.h5"
[strategy]
kind = "sep"
population = 4
sigma = 1.0
[objective]
kind = "titans"
[objective.titans]
backbone = "$EVOMEM_SOURCE_DIR/models/evomem-tiny"
tasks = "passkey,recall_shift,capacity,burst"
lengths = "256,384"
samples = 3
batch = 2
recall_keys = 8
recall_segment = 128
heldout_length = 512
heldout_samples = 2
heldout_interval = 3
TOML
"$evomem" --quiet titans search --config "$work/titans.toml" > "$work/local.txt"
grep -q "held-out check of the mean (generation 3)" "$work/local.txt" || fail "no held-out check printed"
! grep -q "retained" "$work/local.txt" || fail "a Titans run printed a KV-cache retention"
"${mpirun[@]}" -np 3 "$evomem" --quiet titans search --config "$work/titans.toml" --set "run.output=\"$work/mpi.h5\"" > /dev/null
same_run "$work/local.h5" "$work/mpi.h5"

"$PYTHON" - "$work/local.h5" <<'PY' || fail "unexpected Titans run file content"
import sys
import h5py
import numpy as np
run = h5py.File(sys.argv[1], "r")
assert run.attrs["objective"] == "titans"
assert run["mean/genome"].shape == (3,), run["mean/genome"].shape
names = [n.decode() if isinstance(n, bytes) else n for n in run["history/task_names"][:]]
assert names == ["passkey", "recall_shift", "capacity", "burst"], names
scores = run["history/member_task_scores"][:]
assert scores.shape == (12, 4) and ((scores >= 0) & (scores <= 1)).all(), scores
assert np.isnan(run["history/mean_retained"][:]).all()
assert len(run["checks/generation"]) == 1
PY

# Stopped after one generation and resumed: the same run as without the stop.
"$evomem" --quiet titans search --config "$work/titans.toml" --set "run.output=\"$work/part.h5\"" --set run.generations=1 > /dev/null
"$evomem" --quiet titans search --resume "$work/part.h5" --set run.generations=3 > /dev/null
same_run "$work/local.h5" "$work/part.h5"

"$evomem" --quiet export --run "$work/local.h5" --out "$work/titans.safetensors" > /dev/null
eval_args=(--tasks passkey,recall_shift,capacity,burst --lengths 256 --samples 3 --seed 5)
"$evomem" titans eval --params "$work/titans.safetensors" "${eval_args[@]}" > "$work/from_params.txt"
"$evomem" titans eval --run "$work/local.h5" "${eval_args[@]}" > "$work/from_run.txt"
cmp -s "$work/from_params.txt" "$work/from_run.txt" || fail "the exported gates evaluate differently from the run's"
grep -q "^mean .* 256" "$work/from_params.txt" || fail "titans eval printed no mean row"
for column in searched published no_forgetting no_momentum no_mom_same_step; do
  grep -q "$column" "$work/from_params.txt" || fail "titans eval has no $column column"
done

# Bad input.
write_function_config "$work/function.toml" "$work/function.h5" 1
expect_error "objective.kind is 'function'" "$evomem" titans search --config "$work/function.toml"
expect_error "objective.titans.tasks" "$evomem" titans search --config "$work/titans.toml" --set 'objective.titans.tasks="passkey,sudoku"' --overwrite
expect_error "objective.titans.start_" "$evomem" titans search --config "$work/titans.toml" --set objective.titans.start_eta=1.0 --overwrite
expect_error "objective.titans.lengths" "$evomem" titans search --config "$work/titans.toml" --set 'objective.titans.lengths="256,2k"' --overwrite
expect_error "titans.depth" "$evomem" titans search --config "$work/titans.toml" --set objective.titans.depth=7 --overwrite
expect_error "not a Titans parameters file" "$evomem" titans eval --params "$EVOMEM_SOURCE_DIR/models/evomem-tiny/model.safetensors"
expect_error "drop them" "$evomem" titans eval --params "$work/titans.safetensors" --alpha 0.1
expect_error "unknown Titans task" "$evomem" titans eval --tasks passkey,sudoku
expect_error "lengths" "$evomem" titans eval --lengths 2k
expect_error "at least 64" "$evomem" titans eval --lengths 32 --tasks passkey
