#!/usr/bin/env bash
# Retained fraction and score of each memory policy on the synthetic suite at matched cache
# budgets: fresh samples (held-out seed 7001) scored by `evomem eval` with the full cache and
# with each policy given the same number of tokens per KV head. Prints a Markdown table
# (docs/benchmarks.md, "memory: policies on the synthetic suite").
# usage: bash bench/memory/policy_table.sh EVOMEM MODEL_DIR WORK_DIR SAMPLES LENGTH "TASKS" "BUDGETS" [NAMM_FILE]
#   BUDGETS: fractions of LENGTH, e.g. "0.125 0.25"; NAMM_FILE: an exported namm.safetensors,
#   run with top-k selection at each budget.
set -euo pipefail
evomem=$1 model=$2 work=$3 samples=$4 length=$5 tasks=$6 budgets=$7 namm=${8:-}
source_dir=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$work"
seed=7001
for task in $tasks; do
  "$evomem" -q tasks make --task "$task" --length "$length" --samples "$samples" --seed "$seed" \
    --tokenizer "$model" --out "$work/$task.jsonl" >/dev/null
done
task_list=$(for task in $tasks; do printf '%s=%s,' "$task" "$work/$task.jsonl"; done)
task_list=${task_list%,}

# One `evomem eval` per policy; its per-sample results go to WORK/<label>.jsonl.
run() {
  local label=$1 spec=$2
  "$evomem" -q eval --backbone "$model" --tasks-file "$source_dir/tasks/synthetic/tasks.toml" \
    --tasks "$task_list" --policy "$spec" --out "$work/$label.jsonl" >/dev/null
  printf '%s\t%s\n' "$label" "$spec" >> "$work/runs.tsv"
}

: > "$work/runs.tsv"
run full full
for fraction in $budgets; do
  budget=$(/usr/bin/python3 -c 'import sys; print(round(float(sys.argv[1]) * int(sys.argv[2])))' "$fraction" "$length")
  half=$((budget / 2))
  run "recency@$fraction" "recency:window=$budget"
  run "streaming@$fraction" "streaming:sinks=4,window=$((budget - 4))"
  run "h2o@$fraction" "h2o:heavy=$half,recent=$((budget - half))"
  run "l2@$fraction" "l2:keep=$budget"
  run "snapkv@$fraction" "snapkv:window=32,kernel=7,budget=$budget"
  run "random@$fraction" "random:keep=$budget,seed=1"
  if [[ -n "$namm" ]]; then
    run "namm@$fraction" "namm:weights=$namm,selection=topk,budget=$budget"
  fi
done

/usr/bin/python3 - "$work" "$tasks" <<'PY'
import json, sys
work, tasks = sys.argv[1], sys.argv[2].split()
print("| policy | budget | " + " | ".join(tasks) + " | mean score | retained |")
print("|---|---|" + "---|" * (len(tasks) + 2))
for line in open(f"{work}/runs.tsv"):
    label, spec = line.rstrip("\n").split("\t")
    rows = [json.loads(l) for l in open(f"{work}/{label}.jsonl")]
    scores = []
    for task in tasks:
        task_rows = [r["score"] for r in rows if r["task"] == task]
        scores.append(100.0 * sum(task_rows) / len(task_rows))
    retained = 100.0 * sum(r["retained_fraction"] for r in rows) / len(rows)
    budget = label.split("@")[1] if "@" in label else "all"
    cells = " | ".join(f"{s:.1f}" for s in scores)
    print(f"| `{spec}` | {budget} | {cells} | {sum(scores) / len(scores):.1f} | {retained:.1f}% |")
PY
