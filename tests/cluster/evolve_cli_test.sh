#!/usr/bin/env bash
# Bad configurations and bad run files: one clear line on stderr, exit 1, no run file.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/evolve_support.sh"

write_function_config "$work/run.toml" "$work/run.h5" 3
expect_error "needs a configuration" "$evomem" evolve
expect_error "strategy.sigmaa" "$evomem" evolve --config "$work/run.toml" --set strategy.sigmaa=1
expect_error "strategy.sigma must be positive" "$evomem" evolve --config "$work/run.toml" --set strategy.sigma=0
expect_error "objective.kind" "$evomem" evolve --config "$work/run.toml" --set 'objective.kind="sudoku"'
expect_error "unknown test function\|rosenbrok" "$evomem" evolve --config "$work/run.toml" --set 'objective.function.name="rosenbrok"'
expect_error "objective.namm.tasks" "$evomem" evolve --config "$work/run.toml" --set 'objective.kind="namm"'
expect_error "faults.throw_probability" "$evomem" evolve --config "$work/run.toml" --set faults.throw_probability=2
[[ ! -e "$work/run.h5" ]] || fail "a failed start left a run file"

"$evomem" --quiet evolve --config "$work/run.toml" > /dev/null
expect_error "exists: continue it with --resume" "$evomem" evolve --config "$work/run.toml"
expect_error "keeps its configuration" "$evomem" evolve --resume "$work/run.h5" --set strategy.sigma=2
expect_error "takes the configuration from the run file" "$evomem" evolve --resume "$work/run.h5" --config "$work/run.toml"
expect_error "has no weights to export" "$evomem" export --run "$work/run.h5" --out "$work/namm.safetensors"
[[ ! -e "$work/namm.safetensors" ]] || fail "a failed export left a file"

echo "not hdf5" > "$work/text.h5"
expect_error "text.h5" "$evomem" evolve --resume "$work/text.h5"
"$PYTHON" -c "import h5py; h5py.File('$work/other.h5', 'w').attrs['format'] = 'something'"
expect_error "not an evomem run file" "$evomem" export --run "$work/other.h5" --out "$work/namm.safetensors"
expect_error "missing.h5" "$evomem" evolve --resume "$work/missing.h5"

# Outputs checked before the first generation: a folder, a missing folder, a file as folder.
mkdir -p "$work/folder.h5"
expect_error "run.output $work/folder.h5 is a folder" "$evomem" evolve --config "$work/run.toml" \
  --set "run.output=\"$work/folder.h5\""
expect_error "the folder $work/nowhere does not exist" "$evomem" evolve --config "$work/run.toml" \
  --set "run.output=\"$work/nowhere/run.h5\""
expect_error "is not a folder" "$evomem" evolve --config "$work/run.toml" --set "run.output=\"$work/run.toml/run.h5\""
[[ ! -e "$work/nowhere" ]] || fail "evolve created $work/nowhere"
# A NAMM run names a missing backbone folder as such (not as a missing tokenizer.json).
expect_error "objective.namm.backbone: '$work/no-model' is not a folder" "$evomem" evolve --config "$work/run.toml" \
  --set 'objective.kind="namm"' --set "objective.namm.backbone=\"$work/no-model\"" \
  --set objective.namm.tasks.synth_passkey.length=512 --set "run.output=\"$work/namm.h5\""
[[ ! -e "$work/namm.h5" ]] || fail "evolve wrote a run file for a missing backbone"
# eval and export check --out before any sample or file is read.
expect_error "--out $work is a folder" "$evomem" eval --backbone "$EVOMEM_SOURCE_DIR/models/evomem-tiny" \
  --tasks "synth_passkey=$work/none.jsonl" --out "$work"
expect_error "--out $work/nowhere/r.jsonl: the folder $work/nowhere does not exist" "$evomem" eval \
  --backbone "$EVOMEM_SOURCE_DIR/models/evomem-tiny" --tasks "synth_passkey=$work/none.jsonl" \
  --out "$work/nowhere/r.jsonl"
