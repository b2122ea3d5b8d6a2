#!/usr/bin/env bash
# `evomem tasks list` / `evomem tasks score`: scores of hand-worked predictions files, user
# tasks from TOML, and bad input files (one clear line, exit 1, no partial --out file).
set -euo pipefail
evomem="$EVOMEM_BINARY_DIR/bin/evomem"
data="$EVOMEM_SOURCE_DIR/tests/tasks/data/predictions"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
source "$(dirname "${BASH_SOURCE[0]}")/../support/cli_support.sh"

list="$("$evomem" tasks list)"
for task in narrativeqa qasper multifieldqa_en multifieldqa_zh hotpotqa 2wikimqa musique dureader gov_report \
    qmsum multi_news vcsum trec triviaqa samsum lsht passage_count passage_retrieval_en passage_retrieval_zh lcc \
    repobench-p passkey number_string kv_retrieval longbook_qa_eng longbook_choice_eng longdialogue_qa_eng \
    math_find code_run code_debug longbook_sum_eng; do
  grep -q "^$task " <<<"$list" || fail "tasks list lacks $task"
done
[[ "$("$evomem" tasks list --json | "$PYTHON" -c 'import json,sys; print(len(json.load(sys.stdin)))')" == 31 ]] ||
  fail "tasks list --json does not have 31 tasks"

# trec (first-line rule, classification): 1 + 0.5 + 0 + 1 over 4 samples = 62.50.
out="$("$evomem" tasks score --task trec --predictions "$data/trec.jsonl")"
[[ "$out" == "trec: 62.50 (classification, 4 samples)" ]] || fail "trec: $out"
# qasper (qa_f1): 1 + 2/3 + 0 over 3 samples = 55.56.
out="$("$evomem" tasks score --task qasper --predictions "$data/qasper.jsonl" --out "$work/scores.jsonl")"
[[ "$out" == "qasper: 55.56 (qa_f1, 3 samples)" ]] || fail "qasper: $out"
[[ "$(wc -l < "$work/scores.jsonl")" == 3 ]] || fail "per-sample scores file"
# passkey (InfiniteBench, ground_truth key accepted): 1 + 0 = 50.00.
out="$("$evomem" tasks score --task passkey --predictions "$data/passkey.jsonl" --json)"
[[ "$("$PYTHON" -c 'import json,sys; print(json.loads(sys.argv[1])["score"])' "$out")" == 50.0 ]] || fail "passkey: $out"

# A user task from TOML.
cat > "$work/user.toml" <<'TOML'
[tasks.my_qa]
template = "{context}\nQ: {input}\nA:"
metric = "qa_f1"
max_new_tokens = 8
TOML
out="$("$evomem" tasks score --task my_qa --tasks-file "$work/user.toml" --predictions "$data/qasper.jsonl")"
[[ "$out" == "my_qa: 55.56 (qa_f1, 3 samples)" ]] || fail "user task: $out"

# Bad inputs: exit 1, one line naming file, line and field, no --out file.
printf '{"pred": "a", "answers": ["a"], "all_classes": null}\n{"pred": "b", "all_classes": null}\n' > "$work/missing.jsonl"
expect_error "missing.jsonl:2: field 'answers' is missing" \
  "$evomem" tasks score --task qasper --predictions "$work/missing.jsonl" --out "$work/partial.jsonl"
[[ ! -e "$work/partial.jsonl" ]] || fail "partial results file left behind"
printf '{"pred": "a\xff", "answers": ["a"], "all_classes": null}\n' > "$work/utf8.jsonl"
expect_error "utf8.jsonl:1: invalid UTF-8" "$evomem" tasks score --task qasper --predictions "$work/utf8.jsonl"
printf '{"pred": 3, "answers": ["a"], "all_classes": null}\n' > "$work/type.jsonl"
expect_error "type.jsonl:1: field 'pred' must be a string" "$evomem" tasks score --task qasper --predictions "$work/type.jsonl"
printf '{"pred": "a", "answers": [], "all_classes": null}\n' > "$work/empty.jsonl"
expect_error "empty.jsonl:1: field 'answers' is empty" "$evomem" tasks score --task qasper --predictions "$work/empty.jsonl"
expect_error "unknown task 'nope'" "$evomem" tasks score --task nope --predictions "$data/qasper.jsonl"
printf '[tasks.bad]\ntemplate = "{context}"\nmetric = "bleu"\nmax_new_tokens = 3\n' > "$work/bad.toml"
expect_error "tasks.bad.metric" "$evomem" tasks list --tasks-file "$work/bad.toml"
# Absurd sizes fail at once with one line.
tokenizer="$EVOMEM_SOURCE_DIR/tests/model/data/tokenizer_tiny_metaspace.json"
expect_error "beyond the 2097152" "$evomem" tasks make --task synth_passkey --length 1000000000000 \
  --tokenizer "$tokenizer" --out "$work/huge.jsonl"
[[ ! -e "$work/huge.jsonl" ]] || fail "tasks make wrote huge.jsonl"
echo "tasks CLI: ok"
