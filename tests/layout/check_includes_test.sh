#!/usr/bin/env bash
# Self-test of scripts/check_includes.py on a small made-up tree: a layout table with three
# modules, one allowed include of each kind and one violation of each rule (an upward module
# include, LibTorch in a no-LibTorch module, MPI outside cluster/). The checker must report
# exactly those, then pass once the offending files are gone.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
checker="${here}/../../scripts/check_includes.py"
python="${PYTHON:-/usr/bin/python3}"
tree="$(mktemp -d)"
trap 'rm -rf "$tree"' EXIT

fail() {
  echo "check_includes_test: FAIL: $*" >&2
  exit 1
}

put() {  # put <path> <content>: writes a file of the made-up tree
  mkdir -p "$(dirname "${tree}/$1")"
  printf '%s\n' "$2" > "${tree}/$1"
}

put docs/layout.md '# Layout

Some text before the table; | a stray | pipe | row | here | is not the table.

| folder | target | what it holds | may use |
|---|---|---|---|
| `core/` | `evomem::core` | errors | third-party only (no LibTorch) |
| `model/` | `evomem::model` | the network | `core`; LibTorch |
| `search/` | `evomem::search` | the loop | `core`, `evo` (no LibTorch, no MPI) |
| `tests/<module>/` | | tests | their module'"'"'s row, plus `tests/` support |

After the table.'

put core/error.h '#pragma once
#include <string>'
put model/net.h '#pragma once
#include <torch/torch.h>

#include "core/error.h"'
put search/loop.h '#pragma once
#include "core/error.h"'
put search/loop.cpp '#include "search/loop.h"

#include <vector>

/* #include "model/net.h" is commented out
#include "model/net.h" */
// #include "model/net.h"
#include "core/error.h"'
put tests/support/helper.h '#pragma once
#include <string>'
put tests/search/loop_test.cpp '#include "search/loop.h"

#include <ATen/ATen.h>

#include "core/error.h"
#include "tests/support/helper.h"'

# The violations, one per rule.
put core/bad_upward.cpp '#include "core/error.h"

#include "search/loop.h"'
put search/bad_torch.cpp '#include "search/loop.h"

#include <ATen/ATen.h>'
put model/bad_mpi.cpp '#include "model/net.h"

#include <mpi.h>'

expected='core/bad_upward.cpp:3: "search/loop.h": core may not use search (docs/layout.md)
model/bad_mpi.cpp:3: <mpi.h>: only cluster/ (and tests/cluster/, bench/cluster/) may use MPI
search/bad_torch.cpp:3: <ATen/ATen.h>: search may not use LibTorch (NO_TORCH in scripts/check_includes.py)
include directions: 3 violations in 3 files (9 files, 18 includes checked against docs/layout.md)'

status=0
output="$(cd / && "$python" "$checker" --root "$tree")" || status=$?
[[ $status -eq 1 ]] || fail "expected exit status 1 with violations, got ${status}; output:
${output}"
[[ "$output" == "$expected" ]] || fail "unexpected report.
--- expected
${expected}
--- got
${output}"

# --table takes the table from another file (same content, another name).
mv "${tree}/docs/layout.md" "${tree}/docs/modules.md"
status=0
output="$("$python" "$checker" --root "$tree" --table "${tree}/docs/modules.md")" || status=$?
[[ $status -eq 1 ]] || fail "--table: expected exit status 1, got ${status}"
[[ "$(printf '%s\n' "$output" | grep -c 'may not use\|may use MPI')" -eq 3 ]] || fail "--table: expected 3 violations:
${output}"

# Without a table the checker stops with status 2.
status=0
"$python" "$checker" --root "$tree" > /dev/null 2>&1 || status=$?
[[ $status -eq 2 ]] || fail "missing docs/layout.md: expected exit status 2, got ${status}"
mv "${tree}/docs/modules.md" "${tree}/docs/layout.md"

# Without the offending files the tree passes.
rm "${tree}/core/bad_upward.cpp" "${tree}/search/bad_torch.cpp" "${tree}/model/bad_mpi.cpp"
status=0
output="$("$python" "$checker" --root "$tree")" || status=$?
[[ $status -eq 0 ]] || fail "expected exit status 0 without violations, got ${status}; output:
${output}"
[[ "$output" == "include directions: 6 files, 12 includes checked, no violations" ]] || fail "unexpected summary: ${output}"

echo "check_includes_test: OK"
