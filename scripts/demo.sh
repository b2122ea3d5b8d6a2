#!/usr/bin/env bash
# The main job: installs what is missing, builds evomem and runs a real evolution, printing
# the results. Until the distributed NAMM evolution lands, the job evolves solutions of the
# standard CMA-ES benchmark functions with each strategy of the evo module.
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${EVOMEM_BUILD_DIR:-${repo_root}/build}"

bash "${repo_root}/scripts/setup.sh"
cmake -S "$repo_root" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build_dir" -j"$(nproc)" --target evomem
evomem="${build_dir}/bin/evomem"

runs=(
  "--strategy cmaes --function sphere --dim 10 --x0 1 --sigma0 1"
  "--strategy cmaes --function rosenbrock --dim 10 --x0 0.1 --sigma0 0.5"
  "--strategy cmaes --function rotated_ellipsoid --dim 20 --x0 1 --sigma0 1"
  "--strategy sep --function ellipsoid --dim 40 --x0 1 --sigma0 1"
  "--strategy ipop --function rastrigin --dim 10 --x0 1 --sigma0 2"
  "--strategy bipop --function rotated_rastrigin --dim 5 --x0 1 --sigma0 2"
)
echo "evomem demo: evolving to f <= 1e-8 (seed 1)"
printf '%-6s %-18s %4s %12s %12s %10s %8s\n' strategy function dim evaluations final_f reached wall_s
for run in "${runs[@]}"; do
  # shellcheck disable=SC2086
  "$evomem" --quiet optimize $run --seed 1 --target 1e-8 |
    /usr/bin/python3 -c 'import json,sys; r=json.loads(sys.stdin.read()); print("%-6s %-18s %4d %12d %12.3g %10s %8.2f" % (r["strategy"], r["function"], r["dim"], r["evaluations"], r["final_f"], r["reached"], r["wall_s"]))'
done
