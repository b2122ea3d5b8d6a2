#!/usr/bin/env bash
# NAMM evolution on the built-in backbone, scaled down to seconds: the same run in one process,
# with two MPI workers and stopped after one generation then resumed gives identical run files
# (population members grouped 3 to a work item, as rows of one batch); the exported weights load into
# `evomem eval --policy namm:weights=FILE` and carry the run's normalisation statistics;
# `evomem analyze` shows what they keep.
set -euo pipefail
read -r -a mpirun <<<"$EVOMEM_MPIRUN"
source "$(dirname "${BASH_SOURCE[0]}")/evolve_support.sh"

cat > "$work/namm.toml" <<TOML
[run]
seed = 5
generations = 2
output = "$work/local.h5"
[strategy]
kind = "sep"
population = 4
[objective]
kind = "namm"
[objective.namm]
backbone = "$EVOMEM_SOURCE_DIR/models/evomem-tiny"
policy = "namm:interval=64"
samples_per_task = 2
batch_size = 1
genomes_per_item = 3
heldout_interval = 2
heldout_samples = 1
chunk_size = 64
[objective.namm.tasks.synth_passkey]
length = 512
pool = 4
[objective.namm.tasks.synth_niah_single]
length = 512
pool = 4
from_generation = 1
TOML
"$evomem" --quiet evolve --config "$work/namm.toml" > /dev/null
"${mpirun[@]}" -np 3 "$evomem" --quiet evolve --config "$work/namm.toml" --set "run.output=\"$work/mpi.h5\"" > /dev/null
same_run "$work/local.h5" "$work/mpi.h5"
"$evomem" --quiet evolve --config "$work/namm.toml" --set "run.output=\"$work/resumed.h5\"" --set run.generations=1 > /dev/null
"$evomem" --quiet evolve --resume "$work/resumed.h5" --set run.generations=2 > /dev/null
same_run "$work/local.h5" "$work/resumed.h5"

"$PYTHON" - "$work/local.h5" <<'PY' || fail "unexpected NAMM run file content"
import sys
import h5py
import numpy as np
run = h5py.File(sys.argv[1], "r")
assert run["mean/genome"].shape == (4172,), run["mean/genome"].shape
names = [n.decode() if isinstance(n, bytes) else n for n in run["history/task_names"][:]]
assert names == ["synth_niah_single", "synth_passkey"], names
scores = run["history/member_task_scores"][:]
assert scores.shape == (8, 2)
assert np.isnan(scores[:4, 0]).all() and not np.isnan(scores[4:, 0]).any(), "niah joins at generation 1"
assert len(run["checks/generation"]) == 1
assert "normalization_mean" in run["objective/arrays"]
PY

"$evomem" --quiet export --run "$work/local.h5" --out "$work/namm.safetensors" > /dev/null
# The extension chooses the format: any other is refused before anything is written.
expect_error "write a .safetensors file, or .h5 / .hdf5 for HDF5, not '.txt'" \
  "$evomem" export --run "$work/local.h5" --out "$work/namm.txt"
[[ ! -e "$work/namm.txt" ]] || fail "export wrote namm.txt"
"$evomem" --quiet tasks make --task synth_passkey --length 512 --samples 2 --seed 9 --tokenizer "$EVOMEM_SOURCE_DIR/models/evomem-tiny" \
  --out "$work/passkey.jsonl" > /dev/null
"$evomem" --quiet eval --backbone "$EVOMEM_SOURCE_DIR/models/evomem-tiny" --tasks-file "$EVOMEM_SOURCE_DIR/tasks/synthetic/tasks.toml" \
  --tasks "synth_passkey=$work/passkey.jsonl" --policy "namm:weights=$work/namm.safetensors" --out "$work/eval.jsonl" > /dev/null
[[ "$(wc -l < "$work/eval.jsonl")" == 2 ]] || fail "eval with the exported NAMM wrote no results"

# What the evolved NAMM keeps, next to H2O, with the run's fitness history; the report must
# render in a browser (the screenshot stays in the build folder).
"$evomem" --quiet analyze --backbone "$EVOMEM_SOURCE_DIR/models/evomem-tiny" \
  --tasks-file "$EVOMEM_SOURCE_DIR/tasks/synthetic/tasks.toml" --tasks "synth_passkey=$work/passkey.jsonl" \
  --policy "namm:weights=$work/namm.safetensors" --compare "h2o:heavy=64,recent=64,interval=64" --chunk-size 64 \
  --run "$work/local.h5" --out "$work/analysis" > "$work/analyze.txt"
grep -q "^all " "$work/analyze.txt" || fail "analyze printed no summary table"
"$PYTHON" - "$work/analysis" <<'PY' || fail "unexpected retention file content"
import csv, sys
import h5py
import numpy as np
folder = sys.argv[1]
f = h5py.File(folder + "/retention.h5", "r")
assert f.attrs["format"] == "evomem-retention"
for root in (f, f["compare"]):
    order = [n.decode() if isinstance(n, bytes) else n for n in root["sample_order"][:]]
    assert len(order) == 2, order
    sample = root["samples"][order[0]]
    tokens = sample["token_ids"].shape[0]
    assert tokens > 500, tokens
    assert sample["char_offsets"].shape == (tokens, 2)
    for layer in range(4):
        mask = sample["layer_%d" % layer][:]
        evicted = sample["evicted_at/layer_%d" % layer][:]
        assert mask.shape == (2, tokens) and mask.dtype == np.uint8, mask.shape
        assert ((evicted == -1) == (mask == 1)).all()
    assert root["summary/layer"][-1] == -1
h2o = f["compare/samples"][order[0]]
assert (h2o["layer_0"][:] == 0).any(), "H2O at 128 tokens must evict"
rows = list(csv.DictReader(open(folder + "/summary.csv")))
assert len(rows) == 10 and {r["policy"].split(":")[0] for r in rows} == {"namm", "h2o"}, rows
PY
for svg in heatmap_a.svg heatmap_b.svg curves.svg fitness.svg report.html; do
  [[ -s "$work/analysis/$svg" ]] || fail "analyze did not write $svg"
done
screenshots="$EVOMEM_BINARY_DIR/tests/analyze"
mkdir -p "$screenshots"
set +e
bash "$EVOMEM_SOURCE_DIR/tests/report/report_browser_test.sh" "$work/analysis/report.html" "$screenshots/namm_vs_h2o.png"
browser=$?
set -e
[[ $browser -eq 0 || $browser -eq 77 ]] || fail "the analyze report failed in the browser"

# A task read from a LongBench file: its last sample is held out, the others are drawn.
cat > "$work/file.toml" <<TOML
[run]
generations = 1
output = "$work/file.h5"
[strategy]
population = 2
[objective]
kind = "namm"
[objective.namm]
backbone = "$EVOMEM_SOURCE_DIR/models/evomem-tiny"
policy = "namm:interval=64"
samples_per_task = 2
heldout_interval = 1
heldout_samples = 1
chunk_size = 64
[objective.namm.tasks.qasper]
file = "$EVOMEM_SOURCE_DIR/tests/tasks/data/fixtures/qasper.jsonl"
TOML
"$evomem" --quiet evolve --config "$work/file.toml" > /dev/null
"$PYTHON" - "$work/file.h5" <<'PY' || fail "the file-based task did not run"
import sys
import h5py
import numpy as np
run = h5py.File(sys.argv[1], "r")
assert [n.decode() if isinstance(n, bytes) else n for n in run["history/task_names"][:]] == ["qasper"]
assert np.isfinite(run["history/member_task_scores"][:]).all()
assert np.isfinite(run["checks/fitness"][:]).all()
PY
