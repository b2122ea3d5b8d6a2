#!/usr/bin/env bash
# Reproduces the "cluster: executors" table of docs/benchmarks.md:
#   bash bench/cluster/run_scaling_bench.sh <build dir> [worker counts] [-- bench flags]
# e.g.  bash bench/cluster/run_scaling_bench.sh build "1 2 4 8 16" -- --generations 4
# Runs cluster_scaling_bench under `mpirun -np W+1` for every worker count W (workers only
# sleep, so W may exceed the cores) and prints one table row per count.
set -euo pipefail
build="${1:?usage: run_scaling_bench.sh <build dir> [worker counts] [-- bench flags]}"
counts="${2:-1 2 4 8 16}"
shift $(( $# >= 2 ? 2 : 1 ))
[ "${1:-}" = "--" ] && shift
bench="$build/bench/cluster/cluster_scaling_bench"
python=${PYTHON:-/usr/bin/python3}
mpirun_flags=(--oversubscribe --bind-to none)
[ "$(id -u)" = 0 ] && mpirun_flags+=(--allow-run-as-root)

lines=""
for workers in $counts; do
  lines+="$(mpirun "${mpirun_flags[@]}" -np $((workers + 1)) "$bench" "$@")"$'\n'
done
printf '%s' "$lines" | "$python" -c '
import json, sys
print("| workers | items / generation | order | wall s | items/s | ideal s (sum / workers) | efficiency | zero-overhead pull schedule s | efficiency vs schedule | overhead ms / item | coordinator CPU us / item |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for line in sys.stdin:
    r = json.loads(line)
    assert r["wrong_results"] == 0, line
    print("| %d | %d | %s | %.2f | %.2f | %.2f | %.1f%% | %.2f | %.1f%% | %.2f | %.0f |" % (
        r["workers"], r["items"] // r["generations"], r["order"], r["wall_seconds"], r["items_per_second"], r["ideal_seconds"],
        100 * r["efficiency"], r["schedule_seconds"], 100 * r["schedule_efficiency"],
        r["overhead_ms_per_item"], r["coordinator_cpu_us_per_item"]))
'
