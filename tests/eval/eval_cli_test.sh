#!/usr/bin/env bash
# `evomem eval` end to end on a small random checkpoint with the tiny tokenizer and the
# hand-written LongBench / InfiniteBench fixtures: per-sample results, truncation within the
# answer budget, scores equal to what `evomem tasks score` gives for the same predictions,
# repeatable sample draws, and bad input (one line, exit 1, no results file). The vocabulary
# size matches the tiny tokenizer (ids 0..20) so every generated id decodes.
set -euo pipefail
evomem="$EVOMEM_BINARY_DIR/bin/evomem"
source_dir="$EVOMEM_SOURCE_DIR"
fixtures="$source_dir/tests/tasks/data/fixtures"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
source "$(dirname "${BASH_SOURCE[0]}")/../support/cli_support.sh"

tiny_checkpoint "$evomem" "$source_dir" "$work/model"

"$evomem" --quiet eval --backbone "$work/model" --tasks qasper,trec,passkey --data "$fixtures" \
  --context-window 200 --out "$work/results.jsonl" > "$work/table.txt"
[[ "$(wc -l < "$work/results.jsonl")" == 7 ]] || fail "expected 7 result lines"
grep -q "^qasper " "$work/table.txt" || fail "no qasper row: $(cat "$work/table.txt")"

"$PYTHON" - "$work/results.jsonl" "$fixtures" "$work" <<'PY'
import json, sys
results = [json.loads(line) for line in open(sys.argv[1])]
budget = {"qasper": 128, "trec": 64, "passkey": 6}
for r in results:
    for key in ("prediction", "score", "prompt_tokens", "truncated", "new_tokens", "retained_mean",
                "retained_final", "retained_fraction", "seconds"):
        assert key in r, (key, r)
    assert r["prompt_tokens"] + budget[r["task"]] <= 200, r
    assert r["new_tokens"] <= budget[r["task"]], r
    assert len(r["retained_final"]) == 2 and len(r["retained_mean"]) == 2, r
    # The full cache keeps every token the backbone saw.
    assert abs(r["retained_fraction"] - 1.0) < 1e-9, r
    assert r["retained_final"][0] == r["retained_final"][1], r
    if r["truncated"]:
        assert r["untruncated_prompt_tokens"] > r["prompt_tokens"], r
assert any(r["truncated"] for r in results if r["task"] == "qasper"), "the qasper prompts should need truncation"
# Predictions files in the official format, to compare with `evomem tasks score`.
for task in ("qasper", "trec"):
    samples = [json.loads(line) for line in open(f"{sys.argv[2]}/{task}.jsonl")]
    preds = [r for r in results if r["task"] == task]
    with open(f"{sys.argv[3]}/{task}_preds.jsonl", "w") as out:
        for sample, r in zip(samples, preds):
            out.write(json.dumps({"pred": r["prediction"], "answers": sample["answers"],
                                  "all_classes": sample["all_classes"]}) + "\n")
    mean = 100 * sum(r["score"] for r in preds) / len(preds)
    open(f"{sys.argv[3]}/{task}_mean.txt", "w").write(f"{mean:.2f}")
PY
for task in qasper trec; do
  scored="$("$evomem" tasks score --task $task --predictions "$work/${task}_preds.jsonl" | sed 's/^[^:]*: \([0-9.]*\).*/\1/')"
  [[ "$scored" == "$(cat "$work/${task}_mean.txt")" ]] || fail "$task: eval mean $(cat "$work/${task}_mean.txt") vs tasks score $scored"
done

# A memory policy prunes the cache: a recency window of 32 tokens with an update every 16.
"$evomem" --quiet eval --backbone "$work/model" --tasks passkey --data "$fixtures" --context-window 200 \
  --policy recency:window=32,interval=16 --out "$work/recency.jsonl" > /dev/null
"$PYTHON" - "$work/recency.jsonl" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    assert r["policy"].startswith("recency:window=32"), r["policy"]
    assert r["retained_fraction"] < 0.5, r
    assert all(kept <= 32 + 16 for kept in r["retained_final"]), r
    assert all(kept < r["prompt_tokens"] for kept in r["retained_mean"]), r
PY

# Several policies read each sample together, one batch row each; each row is what its policy
# gives alone.
"$evomem" --quiet eval --backbone "$work/model" --tasks passkey --data "$fixtures" --context-window 200 \
  --policy recency:window=32,interval=16 --policy full:interval=16 --out "$work/together.jsonl" > "$work/together.txt"
grep -q "^#2: full:interval=16" "$work/together.txt" || fail "no policy legend: $(cat "$work/together.txt")"
"$PYTHON" - "$work/recency.jsonl" "$work/together.jsonl" <<'PY'
import json, sys
strip = lambda r: {k: v for k, v in r.items() if k != "seconds"}
alone = [strip(json.loads(l)) for l in open(sys.argv[1])]
together = [strip(json.loads(l)) for l in open(sys.argv[2])]
assert len(together) == 2 * len(alone), (len(together), len(alone))
assert [r for r in together if r["policy"].startswith("recency")] == alone
assert all(r["retained_fraction"] == 1.0 for r in together if r["policy"].startswith("full"))
PY
expect_error "share one update interval" \
  "$evomem" --quiet eval --backbone "$work/model" --tasks passkey --data "$fixtures" --policy recency:window=32,interval=16 \
  --policy full --out "$work/partial.jsonl"

# The same seed draws the same samples and gives the same predictions.
"$evomem" --quiet eval --backbone "$work/model" --tasks "qasper=$fixtures/qasper.jsonl" --samples 2 --seed 11 \
  --context-window 200 --out "$work/a.jsonl" > /dev/null
"$evomem" --quiet eval --backbone "$work/model" --tasks "qasper=$fixtures/qasper.jsonl" --samples 2 --seed 11 \
  --context-window 200 --out "$work/b.jsonl" > /dev/null
strip() { "$PYTHON" -c 'import json,sys; [print(json.dumps({k: v for k, v in json.loads(l).items() if k != "seconds"})) for l in open(sys.argv[1])]' "$1"; }
[[ "$(strip "$work/a.jsonl")" == "$(strip "$work/b.jsonl")" ]] || fail "same seed, different results"
[[ "$(wc -l < "$work/a.jsonl")" == 2 ]] || fail "--samples 2 gave $(wc -l < "$work/a.jsonl") lines"

head -1 "$fixtures/qasper.jsonl" > "$work/bad.jsonl"
echo '{"input": "q", "context": "c", "answers": "green", "length": 1, "dataset": "qasper", "language": "en", "all_classes": null, "_id": "x"}' >> "$work/bad.jsonl"
expect_error "bad.jsonl:2: field 'answers' must be a list of strings" \
  "$evomem" --quiet eval --backbone "$work/model" --tasks "qasper=$work/bad.jsonl" --out "$work/partial.jsonl"
[[ ! -e "$work/partial.jsonl" ]] || fail "partial results file left behind"
expect_error "policy spec 'nonsense'" \
  "$evomem" --quiet eval --backbone "$work/model" --tasks qasper --data "$fixtures" --policy nonsense --out "$work/partial.jsonl"
expect_error "has no data file" "$evomem" --quiet eval --backbone "$work/model" --tasks qasper --out "$work/partial.jsonl"
expect_error "cannot hold" \
  "$evomem" --quiet eval --backbone "$work/model" --tasks qasper --data "$fixtures" --context-window 100 --out "$work/partial.jsonl"
[[ ! -e "$work/partial.jsonl" ]] || fail "partial results file left behind"
echo "eval CLI: ok"
