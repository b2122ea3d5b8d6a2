#!/usr/bin/env bash
# The main job: installs what is missing, builds evomem, evolves a NAMM for the built-in
# backbone on the synthetic suite (under mpirun with two workers when MPI is present) and exports
# it, then compares the shipped NAMM on held-out samples with the full cache and the
# hand-designed policies at its retained fraction (evomem compare), and shows what each of its
# layers keeps (evomem analyze).
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${EVOMEM_BUILD_DIR:-${repo_root}/build}"
generations="${EVOMEM_DEMO_GENERATIONS:-30}"

bash "${repo_root}/scripts/setup.sh"
cmake -S "$repo_root" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build_dir" -j"$(nproc)" --target evomem
evomem="${build_dir}/bin/evomem"
cd "$repo_root"
# Each worker runs one LibTorch thread (worker.threads); BLAS and OpenMP threads on top of two
# workers on two cores only fight each other (the evolution takes 1.8 times as long).
export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}" OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
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

# The comparison and the analysis use the shipped NAMM (models/evomem-tiny/namm.safetensors,
# configs/namm_tiny.toml, docs/namm_tiny.md) at the length it was evolved at.
shipped="models/evomem-tiny/namm.safetensors"
echo "== held-out comparison of the shipped NAMM at its cache size (samples its evolution never saw)"
# Every baseline at the budget that matches the NAMM's retained fraction within one point, at
# its update interval and chunk size, with 95% bootstrap intervals (docs/compare.md). 16
# samples per task keep the demo short; docs/namm_tiny.md has the 64-sample tables.
"$evomem" --quiet compare --backbone models/evomem-tiny --policy "namm:weights=$shipped" \
  --tasks synth_passkey,synth_kv_retrieval,synth_niah_single --synthetic-length 2048 --synthetic-seed 1001 \
  --samples "${EVOMEM_DEMO_SAMPLES:-16}" --probe-samples 4 --chunk-size 256 --out runs/compare --overwrite
h2o_spec="$(/usr/bin/python3 -c 'import csv; print(next(r["spec"] for r in csv.DictReader(open("runs/compare/comparison.csv")) if r["policy"] == "h2o"))')"
tasks_arg="synth_passkey=runs/compare/tasks/synth_passkey.jsonl,synth_kv_retrieval=runs/compare/tasks/synth_kv_retrieval.jsonl"
tasks_arg+=",synth_niah_single=runs/compare/tasks/synth_niah_single.jsonl"

echo "== what each layer keeps: the shipped NAMM next to H2O at the same cache size"
"$evomem" analyze --backbone models/evomem-tiny --tasks-file tasks/synthetic/tasks.toml --tasks "$tasks_arg" --samples 2 \
  --policy "namm:weights=$shipped" --compare "$h2o_spec" --chunk-size 256 \
  --run models/evomem-tiny/namm_run.h5 --out runs/analysis
echo "open runs/analysis/report.html in a browser for the heatmaps, curves and the token view"
