#!/usr/bin/env bash
# Bad input through the command line, as a new user makes it: every case must exit 1 with at
# most two lines on stderr naming the file, option or key at fault, and leave nothing behind
# (no output file, no temporary). Includes a full file system (a 64 KiB tmpfs) and a
# read-only one, where mounting is allowed (root); they are skipped with a note otherwise.
set -euo pipefail
evomem="$1"
source_dir="$2"
work="$(mktemp -d)"
mounts=()
cleanup() {
  for mount in "${mounts[@]}"; do umount "$mount" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
source "$(dirname "${BASH_SOURCE[0]}")/../support/cli_support.sh"

in="$work/in"    # inputs, good and bad
out="$work/out"  # every output goes here: it must stay empty
mkdir -p "$in" "$out"
cases=0
failures=0

# Records a failed case and goes on, so one run lists every case that fails.
miss() {
  echo "${0##*/}: $*" >&2
  failures=$((failures + 1))
}

# bad PATTERN COMMAND...: exit 1, 1-2 lines on stderr containing PATTERN, nothing left in $out.
bad() {
  local pattern="$1"
  shift
  local message code
  set +e
  message="$("$@" 2>&1 >/dev/null)"
  code=$?
  set -e
  cases=$((cases + 1))
  local lines
  lines=$(wc -l <<<"$message")
  if [[ $code -ne 1 ]]; then
    miss "case $cases: exit $code (expected 1) for: $* ($message)"
  elif [[ -z "$message" || $lines -gt 2 ]]; then
    miss "case $cases: expected 1-2 lines for: $*, got: $message"
  elif ! grep -qF -- "$pattern" <<<"$message"; then
    miss "case $cases: '$pattern' not in the error of: $* ($message)"
  fi
  if [[ -n "$(ls -A "$out")" ]]; then
    miss "case $cases: left $(ls -A "$out") behind: $*"
    rm -rf "${out:?}"/* "$out"/.[!.]* 2>/dev/null || true
  fi
  for mount in "${mounts[@]}"; do
    [[ -z "$(find "$mount" -mindepth 1 ! -name filler)" ]] || miss "case $cases: left files in $mount: $*"
  done
}

tiny="$in/tiny"
tiny_checkpoint "$evomem" "$source_dir" "$tiny"
builtin="$source_dir/models/evomem-tiny"
tokenizer="$tiny/tokenizer.json"
printf '{"id": 0, "input": "a", "context": "b", "answer": ["c"], "options": []}\n' > "$in/sample.jsonl"
printf 'not json\n' > "$in/broken.jsonl"
: > "$in/empty.jsonl"
printf 'hello world\n' > "$in/prompt.txt"
printf 'plain text' > "$in/notes.txt"
mkdir -p "$in/folder"
touch "$in/a_file"

# A small function-objective run configuration; extra TOML lines may be appended.
config() {
  cat > "$in/$1.toml" <<TOML
[run]
seed = 1
generations = 2
output = "$out/run.h5"
[strategy]
kind = "cmaes"
population = 6
[objective]
kind = "function"
[objective.function]
name = "sphere"
dimension = 4
${2:-}
TOML
  echo "$in/$1.toml"
}

# ---- evolve: configuration files and keys --------------------------------------------------
bad "cannot open file" "$evomem" evolve --config "$in/absent.toml"
bad "folder" "$evomem" evolve --config "$in/folder"
printf 'generations = [' > "$in/syntax.toml"
bad "syntax.toml" "$evomem" evolve --config "$in/syntax.toml"
bad "run.generationz" "$evomem" evolve --config "$(config typo)" --set run.generationz=3
bad "run.generations" "$evomem" evolve --config "$(config negative)" --set run.generations=-1
bad "run.generations" "$evomem" evolve --config "$(config huge)" --set run.generations=1e30
bad "strategy.sigma" "$evomem" evolve --config "$(config nan)" --set strategy.sigma=nan
bad "strategy.sigma" "$evomem" evolve --config "$(config inf)" --set strategy.sigma=-inf
bad "strategy.population" "$evomem" evolve --config "$(config pop)" --set strategy.population=-1
bad "strategy.kind" "$evomem" evolve --config "$(config kind)" --set 'strategy.kind="annealing"'
bad "objective.kind" "$evomem" evolve --config "$(config objective)" --set 'objective.kind="magic"'
bad "objective.function.name" "$evomem" evolve --config "$(config fname)" --set 'objective.function.name="nope"'
bad "objective.function.dimension" "$evomem" evolve --config "$(config dim)" --set objective.function.dimension=0
bad "--set" "$evomem" evolve --config "$(config setsyntax)" --set run.generations
bad "run.generations" "$evomem" evolve --config "$(config type)" --set 'run.generations="ten"'
bad "executor.max_attempts" "$evomem" evolve --config "$(config attempts)" --set executor.max_attempts=0
bad "executor.item_timeout_seconds" "$evomem" evolve --config "$(config timeout)" \
  --set executor.item_timeout_seconds=-2
bad "worker.threads" "$evomem" evolve --config "$(config threads)" --set worker.threads=0
bad "run.checkpoint_interval" "$evomem" evolve --config "$(config interval)" --set run.checkpoint_interval=0
bad "--config" "$evomem" evolve

# ---- evolve: outputs ----------------------------------------------------------------------
bad "is a folder" "$evomem" evolve --config "$(config outdir)" --set "run.output=\"$in/folder\""
bad "does not exist" "$evomem" evolve --config "$(config outmissing)" --set "run.output=\"$out/no/such/run.h5\""
bad "$in/a_file" "$evomem" evolve --config "$(config outparent)" --set "run.output=\"$in/a_file/run.h5\""
touch "$in/existing.h5"
bad "exists" "$evomem" evolve --config "$(config exists "")" --set "run.output=\"$in/existing.h5\""

# ---- evolve: NAMM objective ----------------------------------------------------------------
namm() {
  config "namm_$1" "[objective.namm]
backbone = \"${2:-$tiny}\"
samples_per_task = 1
batch_size = 1
${3:-}
[objective.namm.tasks.synth_passkey]
length = 64
pool = 2"
}
sed -i 's/kind = "function"/kind = "namm"/' "$(namm base)"
nammcfg() { local file; file="$(namm "$@")"; sed -i 's/kind = "function"/kind = "namm"/' "$file"; echo "$file"; }
bad "objective.namm.backbone" "$evomem" evolve --config "$(nammcfg missing "$in/no_backbone")"
bad "objective.namm.backbone" "$evomem" evolve --config "$(nammcfg notfolder "$in/a_file")"
bad "retention_penalty" "$evomem" evolve --config "$(nammcfg nanpen "$tiny" "retention_penalty = nan")"
bad "objective.namm.policy" "$evomem" evolve --config "$(nammcfg policy "$tiny" 'policy = "namm:interval=0"')"
bad "length" "$evomem" evolve --config "$(nammcfg length)" --set objective.namm.tasks.synth_passkey.length=100000000000000
bad "objective.namm.tasks.synth_nope" "$evomem" evolve --config "$(nammcfg task)" \
  --set objective.namm.tasks.synth_nope.length=64
bad "genomes_per_item" "$evomem" evolve --config "$(nammcfg groups)" --set objective.namm.genomes_per_item=0

# ---- evolve --resume ------------------------------------------------------------------------
bad "does not exist" "$evomem" evolve --resume "$in/absent.h5"
bad "not an HDF5 file" "$evomem" evolve --resume "$in/notes.txt"
bad "--config" "$evomem" evolve --resume "$in/notes.txt" --config "$(config both)"
"$evomem" --quiet evolve --config "$(config good)" --set "run.output=\"$in/good.h5\"" > /dev/null
bad "strategy.sigma" "$evomem" evolve --resume "$in/good.h5" --set strategy.sigma=2
bad "run.generations" "$evomem" evolve --resume "$in/good.h5" --set run.generations=-3

# ---- export ---------------------------------------------------------------------------------
bad "does not exist" "$evomem" export --run "$in/absent.h5" --out "$out/n.safetensors"
bad "not an HDF5 file" "$evomem" export --run "$in/notes.txt" --out "$out/n.safetensors"
bad "no weights to export" "$evomem" export --run "$in/good.h5" --out "$out/n.safetensors"
bad "--out $out/n.txt" "$evomem" export --run "$in/good.h5" --out "$out/n.txt"
bad "--which" "$evomem" export --run "$in/good.h5" --which worst --out "$out/n.safetensors"

# ---- tasks make / score ---------------------------------------------------------------------
bad "length of 1000000000000" "$evomem" tasks make --task synth_passkey --length 1000000000000 --tokenizer "$tokenizer" \
  --out "$out/t.jsonl"
bad "synth_nope" "$evomem" tasks make --task synth_nope --length 64 --tokenizer "$tokenizer" --out "$out/t.jsonl"
bad "absent.json: no such tokenizer file" "$evomem" tasks make --task synth_passkey --length 64 --tokenizer "$in/absent.json" \
  --out "$out/t.jsonl"
bad "is a folder" "$evomem" tasks make --task synth_passkey --length 64 --tokenizer "$tokenizer" --out "$in/folder"
bad "does not exist" "$evomem" tasks make --task synth_passkey --length 64 --tokenizer "$tokenizer" \
  --out "$out/missing/t.jsonl"
bad "--depth" "$evomem" tasks make --task synth_passkey --length 64 --depth 1.5 --tokenizer "$tokenizer" \
  --out "$out/t.jsonl"
bad "--predictions" "$evomem" tasks score --task passkey --predictions "$in/absent.jsonl"
bad "broken.jsonl" "$evomem" tasks score --task passkey --predictions "$in/broken.jsonl"
bad "unknown task 'nope'" "$evomem" tasks score --task nope --predictions "$in/sample.jsonl"

# ---- eval / compare / analyze: checked before the model loads --------------------------------
evalargs=(--backbone "$builtin" --tasks passkey="$in/sample.jsonl")
bad "--backbone" "$evomem" eval --backbone "$in/no_backbone" --tasks passkey="$in/sample.jsonl" --out "$out/r.jsonl"
bad "unknown task" "$evomem" eval --backbone "$builtin" --tasks nope --out "$out/r.jsonl"
bad "absent.jsonl" "$evomem" eval --backbone "$builtin" --tasks passkey="$in/absent.jsonl" --out "$out/r.jsonl"
bad "broken.jsonl" "$evomem" eval --backbone "$builtin" --tasks passkey="$in/broken.jsonl" --out "$out/r.jsonl"
bad "empty.jsonl" "$evomem" eval --backbone "$builtin" --tasks passkey="$in/empty.jsonl" --out "$out/r.jsonl"
bad "is a folder" "$evomem" eval "${evalargs[@]}" --out "$in/folder"
bad "$in/a_file" "$evomem" eval "${evalargs[@]}" --out "$in/a_file/r.jsonl"
bad "does not exist" "$evomem" eval "${evalargs[@]}" --out "$out/missing/r.jsonl"
bad "recency" "$evomem" eval "${evalargs[@]}" --policy recency:window=-5 --out "$out/r.jsonl"
bad "unknown policy" "$evomem" eval "${evalargs[@]}" --policy magic --out "$out/r.jsonl"
bad "absent.safetensors" "$evomem" eval "${evalargs[@]}" --policy namm:weights="$in/absent.safetensors" --out "$out/r.jsonl"
bad "notes.txt" "$evomem" eval "${evalargs[@]}" --policy namm:weights="$in/notes.txt" --out "$out/r.jsonl"
bad "device 'tpu'" "$evomem" eval "${evalargs[@]}" --device tpu --out "$out/r.jsonl"
bad "dtype 'float8'" "$evomem" eval "${evalargs[@]}" --dtype float8 --out "$out/r.jsonl"
bad "--threads" "$evomem" eval "${evalargs[@]}" --threads 0 --out "$out/r.jsonl"
bad "--chunk-size" "$evomem" eval "${evalargs[@]}" --chunk-size 0 --out "$out/r.jsonl"
bad "--tasks-file" "$evomem" eval "${evalargs[@]}" --tasks-file "$in/absent.toml" --out "$out/r.jsonl"
bad "unknown baseline 'nope'" "$evomem" compare "${evalargs[@]}" --policy full --baselines nope --out "$out/c"
bad "--budgets" "$evomem" compare "${evalargs[@]}" --policy full --budgets 2.5 --out "$out/c"
bad "--out" "$evomem" compare "${evalargs[@]}" --policy full --out "$in/a_file"
bad "--tolerance" "$evomem" compare "${evalargs[@]}" --policy full --tolerance 0 --out "$out/c"
bad "--out" "$evomem" analyze "${evalargs[@]}" --policy full --out "$in/a_file"
bad "--run" "$evomem" analyze "${evalargs[@]}" --policy full --run "$in/absent.h5" --out "$out/a"
bad "unknown policy" "$evomem" analyze "${evalargs[@]}" --policy full --compare magic --out "$out/a"
bad "--bins" "$evomem" analyze "${evalargs[@]}" --policy full --bins 0 --out "$out/a"

# ---- generate / backbone / tokenize / inspect ------------------------------------------------
bad "folder" "$evomem" generate --backbone "$tiny" --prompt-file "$in/folder"
bad "absent.txt: cannot open file" "$evomem" generate --backbone "$tiny" --prompt-file "$in/absent.txt"
bad "max_position_embeddings" "$evomem" generate --backbone "$tiny" --prompt-file "$in/prompt.txt" \
  --max-new-tokens 10000000000
bad "--max-new-tokens" "$evomem" generate --backbone "$tiny" --prompt-file "$in/prompt.txt" --max-new-tokens -1
bad "--backbone $in/no_backbone: no such checkpoint folder" "$evomem" generate --backbone "$in/no_backbone" --prompt-file "$in/prompt.txt"
bad "absent.txt: cannot open file" "$evomem" backbone logits --backbone "$tiny" --tokens-file "$in/absent.txt"
bad "config.json" "$evomem" backbone info "$in/folder"
bad "absent.json: not found" "$evomem" backbone random --config "$in/absent.json" --out "$out/b"
bad "--overwrite" "$evomem" backbone random --config "$tiny/config.json" --out "$tiny"
bad "shards must be at least 1" "$evomem" backbone random --config "$tiny/config.json" --out "$out/b" --shards 0
mkdir -p "$in/layers"
cp "$tiny"/*.safetensors "$tiny/tokenizer.json" "$in/layers/"
sed 's/"num_hidden_layers": 2/"num_hidden_layers": 1/' "$tiny/config.json" > "$in/layers/config.json"
bad "num_hidden_layers" "$evomem" backbone info "$in/layers"
bad "absent.json: no such tokenizer file" "$evomem" tokenize --tokenizer "$in/absent.json"
bad "notes.txt" "$evomem" tokenize --tokenizer "$in/notes.txt"
bad "notes.txt: not a safetensors file" "$evomem" inspect "$in/notes.txt"

# ---- titans ----------------------------------------------------------------------------------
bad "alpha must be in [0, 1]" "$evomem" titans eval --backbone "$builtin" --alpha 2 --lengths 64 --samples 1
bad "--lengths" "$evomem" titans eval --backbone "$builtin" --lengths 0 --samples 1
bad "--tasks" "$evomem" titans eval --backbone "$builtin" --tasks nope --lengths 64 --samples 1
bad "depth must be 1..4" "$evomem" titans eval --backbone "$builtin" --depth 9 --lengths 64 --samples 1
# Stream settings that cannot be met fail before the first task is read, not when capacity's turn comes.
bad "capacity_keys" "$evomem" titans eval --backbone "$builtin" --capacity-keys 5000 --lengths 4096 --samples 1
bad "burst_pairs" "$evomem" titans eval --backbone "$builtin" --burst-pairs 100 --lengths 64 --samples 1

# ---- a full file system and a read-only one -------------------------------------------------
if [[ $(id -u) -eq 0 ]] && mkdir -p "$work/full" && mount -t tmpfs -o size=64k tmpfs "$work/full" 2>/dev/null; then
  mounts+=("$work/full")
  head -c 60000 /dev/zero > "$work/full/filler" 2>/dev/null || true
  bad "No space left on device" "$evomem" evolve --config "$(config full)" --set "run.output=\"$work/full/run.h5\""
  bad "$work/full/a/retention.h5: cannot write (No space left on device)" "$evomem" analyze "${evalargs[@]}" \
    --policy full --out "$work/full/a"
  bad "No space left on device" "$evomem" tasks make --task synth_passkey --length 2000 --samples 8 \
    --tokenizer "$builtin" --out "$work/full/t.jsonl"
  mkdir -p "$work/ro"
  mount -t tmpfs -o size=1m,ro tmpfs "$work/ro"
  mounts+=("$work/ro")
  bad "$work/ro" "$evomem" evolve --config "$(config ro)" --set "run.output=\"$work/ro/run.h5\""
  bad "$work/ro" "$evomem" eval "${evalargs[@]}" --out "$work/ro/r.jsonl"
  bad "$work/ro" "$evomem" compare "${evalargs[@]}" --policy full --out "$work/ro/c"
else
  echo "note: not root or mounting not allowed; the full-disk and read-only cases were skipped"
fi

(( failures == 0 )) || fail "$failures of $cases cases failed"
(( cases >= 80 )) || fail "only $cases cases"
echo "bad input: $cases cases, each one clear line and nothing left behind"
