#!/usr/bin/env bash
# Quality table of a backbone on fresh synthetic samples: full cache and recency keeping 25%
# of the prompt, per task and length, scored by `evomem eval` (docs/synthetic.md).
# usage: synthetic_quality.sh EVOMEM MODEL_DIR WORK_DIR SAMPLES "LENGTHS" "TASKS" [MIN_FULL MAX_RECENCY]
# With MIN_FULL / MAX_RECENCY (percent) it exits 1 when a full-cache score is lower or a
# recency score higher than that (the slow smoke test).
set -euo pipefail
evomem=$1 model=$2 work=$3 samples=$4 lengths=$5 tasks=$6
min_full=${7:-} max_recency=${8:-}
source_dir=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$work"
# Held-out seeds: training draws its samples from other streams (training/backbone_trainer.cpp).
seed=7001
printf '| task | tokens | full cache | recency 25%% |\n|---|---|---|---|\n'
status=0
for length in $lengths; do
  window=$((length / 4))
  for task in $tasks; do
    data="$work/${task}_${length}.jsonl"
    "$evomem" -q tasks make --task "$task" --length "$length" --samples "$samples" --seed "$seed" \
      --tokenizer "$model" --out "$data" >/dev/null
    scores=()
    for policy in full "recency:window=$window"; do
      out="$work/${task}_${length}_${policy%%:*}.jsonl"
      "$evomem" -q eval --backbone "$model" --tasks-file "$source_dir/tasks/synthetic/tasks.toml" \
        --tasks "$task=$data" --policy "$policy" --out "$out" >/dev/null
      scores+=("$(python3 -c 'import json,sys; r=[json.loads(l)["score"] for l in open(sys.argv[1])]; print(f"{100*sum(r)/len(r):.1f}")' "$out")")
    done
    printf '| %s | %s | %s | %s |\n' "$task" "$length" "${scores[0]}" "${scores[1]}"
    if [[ -n "$min_full" ]]; then
      python3 -c 'import sys; f,r,a,b=map(float,sys.argv[1:]); sys.exit(0 if f>=a and r<=b else 1)' \
        "${scores[0]}" "${scores[1]}" "$min_full" "$max_recency" || status=1
    fi
  done
done
exit $status
