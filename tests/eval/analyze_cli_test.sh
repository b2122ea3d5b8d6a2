#!/usr/bin/env bash
# `evomem analyze` on bad input: one clear line, exit 1, and no output folder or file left
# behind; on good input the folder holds every output and a second run may replace it.
set -euo pipefail
source "$EVOMEM_SOURCE_DIR/tests/support/cli_support.sh"
evomem="$EVOMEM_BINARY_DIR/bin/evomem"
model="$EVOMEM_SOURCE_DIR/models/evomem-tiny"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

"$evomem" --quiet tasks make --task synth_kv_retrieval --length 400 --samples 2 --seed 4 --tokenizer "$model" \
  --out "$work/kv.jsonl" > /dev/null
args=(--backbone "$model" --tasks-file "$EVOMEM_SOURCE_DIR/tasks/synthetic/tasks.toml" --tasks "synth_kv_retrieval=$work/kv.jsonl")

expect_error "policy" "$evomem" analyze "${args[@]}" --policy "h2o:heavy=oops" --out "$work/a"
expect_error "policy" "$evomem" analyze "${args[@]}" --policy full --compare "nonsense" --out "$work/a"
expect_error "unknown task" "$evomem" analyze --backbone "$model" --tasks "no_such_task=$work/kv.jsonl" --policy full \
  --out "$work/a"
expect_error "bins" "$evomem" analyze "${args[@]}" --policy full --bins 1 --out "$work/a"
expect_error "not an HDF5 file" "$evomem" analyze "${args[@]}" --policy full --run "$work/kv.jsonl" --out "$work/a"
[[ ! -e "$work/a" ]] || fail "a failed analyze left its output folder"
touch "$work/file"
expect_error "not a folder" "$evomem" analyze "${args[@]}" --policy full --out "$work/file"
mkdir "$work/busy" && touch "$work/busy/notes.txt"
expect_error "other files" "$evomem" analyze "${args[@]}" --policy full --out "$work/busy"
printf '{"input": "q", "context": "c", "answers": ["a"], "length": 1, "dataset": "x", "language": "en", "all_classes": null, "_id": "1", "needles": [{"kind": "answer", "char_span": [0, 9]}]}\n' \
  > "$work/bad_needles.jsonl"
expect_error "needles" "$evomem" analyze --backbone "$model" --tasks-file "$EVOMEM_SOURCE_DIR/tasks/synthetic/tasks.toml" \
  --tasks "synth_kv_retrieval=$work/bad_needles.jsonl" --policy full --out "$work/a"

"$evomem" --quiet analyze "${args[@]}" --policy "streaming:sinks=4,window=64,interval=64" --chunk-size 64 --out "$work/ok" \
  > "$work/out.txt"
for file in retention.h5 summary.csv report.html heatmap.svg curves.svg; do
  [[ -s "$work/ok/$file" ]] || fail "analyze did not write $file"
done
[[ ! -e "$work/ok/fitness.svg" ]] || fail "fitness.svg without --run"
grep -q "^all " "$work/out.txt" || fail "no summary table printed"
# StreamingLLM keeps the 4 sinks and the newest tokens: its preamble starts with the sinks.
"$PYTHON" - "$work/ok/retention.h5" <<'PY' || fail "streaming records are not sinks + window"
import sys
import h5py
f = h5py.File(sys.argv[1], "r")
for name in f["sample_order"][:]:
    sample = f["samples"][name.decode() if isinstance(name, bytes) else name]
    mask = sample["layer_0"][:]
    tokens = mask.shape[1]
    assert mask[:, :4].all(), "sinks evicted"
    kept = mask.sum(axis=1)
    assert (kept < tokens).all() and (kept >= 68).all(), kept
PY
# A finished analysis may be replaced by a new one.
"$evomem" --quiet analyze "${args[@]}" --policy full --out "$work/ok" > /dev/null
grep -q '"full' "$work/ok/summary.csv" || fail "the second analysis did not replace the first"
