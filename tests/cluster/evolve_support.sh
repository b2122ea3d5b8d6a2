# Sourced by the `evomem evolve` tests: $evomem, a scratch folder $work removed on exit, the
# command-line checks of cli_support.sh, a function-objective run configuration and a
# comparison of two run files (everything but wall-clock times must be identical).

evomem="$EVOMEM_BINARY_DIR/bin/evomem"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
source "$(dirname "${BASH_SOURCE[0]}")/../support/cli_support.sh"

# write_function_config FILE OUTPUT GENERATIONS [EXTRA TOML]
write_function_config() {
  cat > "$1" <<TOML
[run]
seed = 7
generations = $3
output = "$2"
[strategy]
kind = "cmaes"
sigma = 0.5
population = 10
[objective]
kind = "function"
[objective.function]
name = "rosenbrock"
dimension = 8
${4:-}
TOML
}

# same_run A B: histories, genomes and strategy states of two run files are identical.
same_run() {
  "$PYTHON" - "$1" "$2" <<'PY' || fail "run files $1 and $2 differ"
import sys
import h5py
import numpy as np

a, b = (h5py.File(path, "r") for path in sys.argv[1:3])
def datasets(group, prefix=""):
    found = {}
    for name, item in group.items():
        if isinstance(item, h5py.Group):
            found.update(datasets(item, prefix + name + "/"))
        else:
            found[prefix + name] = item[()]
    return found
da, db = datasets(a), datasets(b)
timing = {"history/wall_seconds"}
assert set(da) == set(db), sorted(set(da) ^ set(db))
for name in sorted(set(da) - timing):
    x, y = da[name], db[name]
    if x.dtype.kind in "fc":
        assert np.array_equal(x, y, equal_nan=True), name
    else:
        assert np.array_equal(x, y), name
assert a.attrs["generations"] == b.attrs["generations"]
PY
}
