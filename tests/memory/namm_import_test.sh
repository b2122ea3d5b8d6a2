#!/usr/bin/env bash
# scripts/namm_import.py: a checkpoint with the structure the published trainer writes
# (SakanaAI/evo-memory, MemoryTrainer._save_ckpt; built by namm_import_checkpoint.py) whose
# CMA-ES mean is the parity fixture's reference genome and whose stored statistics are the
# fixture's. The imported namm.safetensors must hold the fixture's evomem-layout genome bit for
# bit, its statistics (frozen) and evomem's default configuration; evomem must load it as a NAMM
# (`evomem inspect`, and `evomem eval` with `namm:weights=`). Since evomem reproduces the
# reference's features, scores and keep sets with exactly that genome and those statistics
# (memory_namm_parity_test), the imported file reproduces the reference's outputs; the file read
# by python/evomem_namm.py on the fixture's inputs shows it directly. Also --which best, and bad
# input (one line, exit 1, no output file).
set -euo pipefail
evomem="$EVOMEM_BINARY_DIR/bin/evomem"
source_dir="$EVOMEM_SOURCE_DIR"
importer="$source_dir/scripts/namm_import.py"
helper="$source_dir/tests/memory/namm_import_checkpoint.py"
fixtures="$source_dir/tests/memory/data/namm_parity"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
source "$(dirname "${BASH_SOURCE[0]}")/../support/cli_support.sh"

"$PYTHON" "$helper" make "$fixtures" "$work/ckpt.pt"

# The CMA-ES mean (default).
"$PYTHON" "$importer" "$work/ckpt.pt" --out "$work/namm.safetensors" > "$work/import.txt"
grep -q "genome 'mean' (4172 values) of iteration 7" "$work/import.txt" ||
  fail "summary: $(cat "$work/import.txt")"
"$PYTHON" "$helper" check "$fixtures" "$work/namm.safetensors" mean || fail "mean: imported file differs from the fixture"
"$evomem" inspect "$work/namm.safetensors" > "$work/inspect.txt"
grep -q "^metadata format = evomem-namm" "$work/inspect.txt" || fail "inspect: $(cat "$work/inspect.txt")"
grep -q "^10 tensors, 4172 values" "$work/inspect.txt" || fail "inspect: $(cat "$work/inspect.txt")"
# The imported file, read by python/evomem_namm.py (evomem's NAMM computation in PyTorch), on
# the fixture's two updates: the reference's features, scores and keep sets.
"$PYTHON" "$helper" reproduce "$fixtures" "$work/namm.safetensors" "$source_dir/python" > "$work/reproduce.txt" ||
  fail "the imported file does not reproduce the reference: $(cat "$work/reproduce.txt")"

# evomem reads it as a NAMM (configuration, genome and statistics validated by load_namm) and
# runs it: a random backbone, one passkey prompt, interval 32 so that the NAMM evicts.
tiny_checkpoint "$evomem" "$source_dir" "$work/model"
"$evomem" --quiet eval --backbone "$work/model" --tasks passkey --data "$source_dir/tests/tasks/data/fixtures" \
  --samples 1 --context-window 200 --chunk-size 32 --policy "namm:weights=$work/namm.safetensors,interval=32" \
  --out "$work/results.jsonl" > /dev/null
"$PYTHON" - "$work/results.jsonl" <<'PY' || fail "eval with the imported NAMM"
import json, sys
(r,) = [json.loads(line) for line in open(sys.argv[1])]
assert r["policy"].startswith("namm:weights="), r
assert 0 < r["retained_fraction"] < 1, r  # the imported genome evicts
PY

# The best member (twice the mean in the checkpoint); statistics still the stored ones.
"$PYTHON" "$importer" "$work/ckpt.pt" --out "$work/best.safetensors" --which best > /dev/null
"$PYTHON" "$helper" check "$fixtures" "$work/best.safetensors" best || fail "best: imported file differs"
rm -f "$work/ckpt.pt"

# Bad input: one line, exit 1, nothing written.
expect_bad() {
  local pattern="$1" input="$2"
  expect_error "$pattern" "$PYTHON" "$importer" "$input" --out "$work/bad.safetensors"
  [[ ! -e "$work/bad.safetensors" ]] || fail "wrote an output file for $input"
  [[ -z "$(find "$work" -maxdepth 1 -name '.namm_import.*')" ]] || fail "left a temporary file for $input"
}
expect_bad "no such file" "$work/missing.pt"
echo "not a checkpoint" > "$work/text.pt"
expect_bad "not a PyTorch checkpoint" "$work/text.pt"
for variant in no-evolution-state wrong-size no-stats empty-stats; do
  "$PYTHON" "$helper" make "$fixtures" "$work/$variant.pt" "$variant"
done
expect_bad "not an evo-memory checkpoint" "$work/no-evolution-state.pt"
expect_bad "evolution_state\['mean'\] has shape \[100\], expected \[4172\]" "$work/wrong-size.pt"
expect_bad "no normalisation statistics" "$work/no-stats.pt"
expect_bad "normalisation statistics are empty" "$work/empty-stats.pt"
expect_error "invalid choice: 'worst'" "$PYTHON" "$importer" "$work/text.pt" --which worst --out "$work/bad.safetensors"
expect_error "required: checkpoint" "$PYTHON" "$importer"
echo "namm_import_test: ok"
