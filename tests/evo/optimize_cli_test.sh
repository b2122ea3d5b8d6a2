#!/usr/bin/env bash
# `evomem optimize` prints one JSON line with the documented fields and fails cleanly on bad input.
set -euo pipefail
evomem="$1"
source "$(dirname "${BASH_SOURCE[0]}")/../support/cli_support.sh"

line=$("$evomem" optimize --strategy cmaes --function sphere --dim 10 --seed 3 --target 1e-8 --x0 1 --sigma0 1)
[ "$(printf '%s\n' "$line" | wc -l)" -eq 1 ] || { echo "expected one line, got: $line"; exit 1; }
/usr/bin/python3 - "$line" <<'PY'
import json, sys
record = json.loads(sys.argv[1])
for key in ("function", "dim", "seed", "evaluations", "generations", "final_f", "stop", "wall_s"):
    assert key in record, f"missing {key}: {record}"
assert record["function"] == "sphere" and record["dim"] == 10 and record["seed"] == 3, record
assert record["final_f"] <= 1e-8 and record["stop"] == ["target_fitness"], record
assert 500 < record["evaluations"] < 3000, record
PY

# Same seed, same run (apart from the wall time).
a=$("$evomem" optimize --strategy sep --function ellipsoid --dim 8 --seed 5 | sed 's/"wall_s":[^,}]*//')
b=$("$evomem" optimize --strategy sep --function ellipsoid --dim 8 --seed 5 | sed 's/"wall_s":[^,}]*//')
[ "$a" = "$b" ] || { echo "not reproducible: $a vs $b"; exit 1; }

line=$("$evomem" optimize --strategy ipop --function rastrigin --dim 4 --x0 3 --sigma0 2 --seed 1)
/usr/bin/python3 -c 'import json,sys; r=json.loads(sys.argv[1]); assert r["final_f"] <= 1e-8, r' "$line"

line=$("$evomem" optimize --function rosenbrock --dim 5 --max-generations 7)
/usr/bin/python3 -c 'import json,sys; r=json.loads(sys.argv[1]); assert r["stop"] == ["max_generations"] and r["generations"] == 7, r' "$line"

expect_error "dimension" "$evomem" optimize --dim 0
expect_error "initial sigma" "$evomem" optimize --sigma0 -1
expect_error "unknown test function" "$evomem" optimize --function himmelblau
expect_error "unknown strategy" "$evomem" optimize --strategy nes
echo "optimize CLI ok"
