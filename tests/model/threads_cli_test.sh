#!/usr/bin/env bash
# --threads and worker.threads: every command that runs a model takes --threads, the number
# reaches LibTorch, OpenMP and OpenBLAS (the debug line "threads: ..."), evomem makes OpenMP
# wait passively unless the user chose OMP_WAIT_POLICY, and a bad count is one line, exit 1.
set -euo pipefail
evomem="${1:?usage: threads_cli_test.sh EVOMEM}"
repo="${EVOMEM_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
source "$(dirname "${BASH_SOURCE[0]}")/../support/cli_support.sh"

for command in generate eval analyze compare "backbone logits" "backbone attention" "titans eval"; do
  # shellcheck disable=SC2086  # the command is one or two words
  "$evomem" $command --help | grep -q -- "--threads" || fail "'$command --help' lists no --threads"
done

tiny_checkpoint "$evomem" "$repo" "$work/tiny"
echo "[1, 5, 9, 4, 7]" > "$work/tokens.json"

# The counts read back; OpenMP and OpenBLAS read "none" in a build without them.
threads_line() { grep -o "threads: intra-op .*" "$1" || fail "no threads line in: $(cat "$1")"; }
expect_threads() {
  local line="$1" count="$2" wait="$3"
  grep -Eq "^threads: intra-op $count, OpenMP ($count|none), OpenBLAS ($count|none), OpenMP wait $wait$" <<<"$line" \
    || fail "expected $count threads, wait $wait: $line"
}

for count in 2 1; do
  env -u OMP_WAIT_POLICY "$evomem" --log-level debug generate --backbone "$work/tiny" --tokens-file "$work/tokens.json" \
    --max-new-tokens 3 --threads "$count" > "$work/out.json" 2> "$work/log"
  expect_threads "$(threads_line "$work/log")" "$count" passive
done
python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["prompt_tokens"] == 5' "$work/out.json"

# The default is one thread; a policy the user set is kept.
OMP_WAIT_POLICY=ACTIVE "$evomem" --log-level debug backbone logits --backbone "$work/tiny" \
  --tokens-file "$work/tokens.json" > /dev/null 2> "$work/log"
expect_threads "$(threads_line "$work/log")" 1 spinning

# evolve (here its local worker) takes worker.threads.
cat > "$work/run.toml" <<TOML
[run]
generations = 1
output = "$work/run.h5"
[objective]
kind = "function"
TOML
env -u OMP_WAIT_POLICY "$evomem" --log-level debug evolve --config "$work/run.toml" --set worker.threads=2 \
  > /dev/null 2> "$work/log"
expect_threads "$(threads_line "$work/log")" 2 passive

expect_error "--threads: must be a whole number 1..1024, got '0'" "$evomem" generate --backbone "$work/tiny" \
  --tokens-file "$work/tokens.json" --threads 0
expect_error "--threads: must be a whole number 1..1024, got 'two'" "$evomem" eval --backbone "$work/tiny" \
  --tasks synth_passkey --out "$work/out.jsonl" --threads two
expect_error "worker.threads must be 1..1024" "$evomem" evolve --config "$work/run.toml" --overwrite \
  --set worker.threads=0

echo "threads cli: all checks passed"
