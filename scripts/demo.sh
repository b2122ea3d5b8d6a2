#!/usr/bin/env bash
# The main job: installs what is missing, builds evomem, evolves a NAMM for the built-in
# backbone on the synthetic suite (under mpirun with two workers when MPI is present), exports
# it, and compares it on held-out samples with the full cache and the hand-designed policies
# at the NAMM's mean cache size, and shows what each layer of the NAMM keeps (evomem analyze).
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${EVOMEM_BUILD_DIR:-${repo_root}/build}"
generations="${EVOMEM_DEMO_GENERATIONS:-30}"

bash "${repo_root}/scripts/setup.sh"
cmake -S "$repo_root" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build_dir" -j"$(nproc)" --target evomem
evomem="${build_dir}/bin/evomem"
cd "$repo_root"
mkdir -p runs

echo "== evolving a NAMM for models/evomem-tiny ($generations generations, configs/demo.toml)"
evolve=("$evomem" evolve --config configs/demo.toml --set "run.generations=$generations" --overwrite)
if command -v mpirun >/dev/null; then
  launcher=(mpirun --oversubscribe -np 3)
  [[ "$(id -u)" == 0 ]] && launcher+=(--allow-run-as-root)
  "${launcher[@]}" "${evolve[@]}"
else
  "${evolve[@]}"
fi
"$evomem" export --run runs/demo.h5 --out runs/demo_namm.safetensors

echo "== held-out comparison (samples the evolution never saw)"
tasks_arg=""
for task in synth_passkey synth_kv_retrieval synth_niah_single; do
  "$evomem" --quiet tasks make --task "$task" --length 1024 --samples 8 --seed 1001 --tokenizer models/evomem-tiny \
    --out "runs/heldout_${task}.jsonl" >/dev/null
  tasks_arg+="${tasks_arg:+,}${task}=runs/heldout_${task}.jsonl"
done
run_eval() {  # NAME POLICY
  "$evomem" --quiet eval --backbone models/evomem-tiny --tasks-file tasks/synthetic/tasks.toml --tasks "$tasks_arg" \
    --policy "$2" --chunk-size 128 --out "runs/eval_$1.jsonl" >/dev/null
}
run_eval namm "namm:weights=runs/demo_namm.safetensors"
ratio="$(/usr/bin/python3 -c 'import json; r=[json.loads(l)["retained_fraction"] for l in open("runs/eval_namm.jsonl")]; print("%.4f" % max(0.01, min(0.99, sum(r)/len(r))))')"
half="$(/usr/bin/python3 -c "print('%.4f' % ($ratio / 2))")"
run_eval full full
run_eval h2o "h2o:heavy=$half,recent=$half"
run_eval l2 "l2:keep=$ratio"
run_eval streaming "streaming:sinks=4,window=$ratio"
run_eval snapkv "snapkv:budget=$ratio"
/usr/bin/python3 - "$ratio" <<'PY'
import json
import sys

policies = ["namm", "full", "h2o", "l2", "streaming", "snapkv"]
rows = {}
tasks = []
for policy in policies:
    by_task = {}
    retained = []
    for line in open(f"runs/eval_{policy}.jsonl"):
        result = json.loads(line)
        by_task.setdefault(result["task"], []).append(result["score"])
        retained.append(result["retained_fraction"])
    tasks = sorted(by_task)
    rows[policy] = ([100 * sum(s) / len(s) for s in (by_task[t] for t in tasks)], sum(retained) / len(retained))
print(f"policies at the evolved NAMM's mean cache size ({float(sys.argv[1]):.1%} of the tokens); scores in %")
print(f"{'policy':<10}" + "".join(f"{t:>20}" for t in tasks) + f"{'mean':>8}{'retained':>10}")
for policy in policies:
    scores, retained = rows[policy]
    print(f"{policy:<10}" + "".join(f"{s:>20.1f}" for s in scores) + f"{sum(scores) / len(scores):>8.1f}{retained:>10.3f}")
PY

echo "== what each layer keeps: the evolved NAMM next to H2O at the same cache size"
"$evomem" analyze --backbone models/evomem-tiny --tasks-file tasks/synthetic/tasks.toml --tasks "$tasks_arg" --samples 2 \
  --policy "namm:weights=runs/demo_namm.safetensors" --compare "h2o:heavy=$half,recent=$half" --chunk-size 128 \
  --run runs/demo.h5 --out runs/analysis
echo "open runs/analysis/report.html in a browser for the heatmaps, curves and the token view"
