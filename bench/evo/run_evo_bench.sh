#!/usr/bin/env bash
# Reproduces the evo tables of docs/benchmarks.md:
#   bash bench/evo/run_evo_bench.sh <build dir> [generation|targets|all]
# generation: seconds per generation (ask + tell, amortised) and peak memory at n = 100, 1000,
#             4172 with lambda = 32, for full CMA-ES (Cholesky and eigen) and sep-CMA-ES.
# targets:    median evaluations to f <= 1e-8 of `evomem optimize` over seeds.
set -euo pipefail
build="${1:?usage: run_evo_bench.sh <build dir> [generation|targets|all]}"
what="${2:-all}"
bench="$build/bench/evo/evo_generation_bench"
evomem="$build/bin/evomem"
python=${PYTHON:-/usr/bin/python3}

if [ "$what" = generation ] || [ "$what" = all ]; then
  lines=""
  for n in 100 1000 4172; do
    for mode in cholesky eigen sep; do
      lines+="$("$bench" --n "$n" --lambda 32 --mode "$mode")"$'\n'
    done
  done
  printf '%s' "$lines" | "$python" -c '
import json, sys
print("| n | mode | s / generation (amortised) | decompositions timed | gap | slowest generation s | peak RSS MiB | peak / n² doubles |")
print("|---|---|---|---|---|---|---|---|")
for line in sys.stdin:
    r = json.loads(line)
    cells = [r["n"], r["mode"], "%.4g" % r["seconds_per_generation"], r["decompositions"], r["gap"],
             "%.3g" % r["slowest_generation_s"], "%.0f" % r["peak_rss_mib"],
             "%.2f" % (r["peak_rss_mib"] / r["n2_doubles_mib"])]
    print("| " + " | ".join(str(c) for c in cells) + " |")
'
fi

if [ "$what" = targets ] || [ "$what" = all ]; then
  # strategy function dim seeds x0 sigma0 reference-median
  runs="cmaes sphere 10 10 1 1 1450
cmaes ellipsoid 10 10 0.1 0.5 5905
cmaes rotated_ellipsoid 10 10 0.1 0.5 5905
cmaes rosenbrock 10 10 0.1 0.5 6055
cmaes sphere 40 5 1 1 5100
cmaes ellipsoid 40 5 0.1 0.5 67935
cmaes rotated_ellipsoid 40 5 0.1 0.5 67935
cmaes rosenbrock 40 5 0.1 0.5 77865
sep ellipsoid 40 5 0.1 0.5 -
sep sphere 40 5 1 1 -
ipop rastrigin 10 10 3 2 -
ipop rotated_rastrigin 10 10 3 2 -
bipop rastrigin 10 10 3 2 -"
  lines=""
  while read -r strategy function dim seeds x0 sigma0 reference; do
    for seed in $(seq 1 "$seeds"); do
      record=$("$evomem" optimize --strategy "$strategy" --function "$function" --dim "$dim" --seed "$seed" \
        --x0 "$x0" --sigma0 "$sigma0" --target 1e-8 --max-evals 2000000)
      lines+="$reference $record"$'\n'
    done
  done <<< "$runs"
  printf '%s' "$lines" | "$python" -c '
import json, sys, statistics
groups = {}
for line in sys.stdin:
    reference, record = line.split(" ", 1)
    r = json.loads(record)
    groups.setdefault((r["strategy"], r["function"], r["dim"], reference), []).append(r)
print("| strategy | function | dim | seeds | reached 1e-8 | median evaluations (reached runs) | reference median | ratio |")
print("|---|---|---|---|---|---|---|---|")
for (strategy, function, dim, reference), runs in groups.items():
    reached = [r["evaluations"] for r in runs if r["reached"]]
    # Runs that missed the target count as infinitely expensive in the median.
    values = sorted(reached + [float("inf")] * (len(runs) - len(reached)))
    median = statistics.median(values)
    ratio = "-" if reference == "-" else f"{median / float(reference):.2f}"
    print(f"| {strategy} | {function} | {dim} | {len(runs)} | {len(reached)}/{len(runs)} | {median:.0f} | {reference} | {ratio} |")
'
fi
