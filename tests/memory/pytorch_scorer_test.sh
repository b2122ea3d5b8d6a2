#!/usr/bin/env bash
# The PyTorch scorer for exported NAMMs (python/evomem_namm.py) against evomem's parity
# fixture: a namm.safetensors written from Python (accepted by `evomem inspect`), features,
# scores and keep sets of both updates, a batch of 2 with shifted positions and invalid slots,
# and the selection rules on hand-built scores (tests/memory/pytorch_scorer_check.py).
set -euo pipefail
source_dir="${EVOMEM_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
python="${PYTHON:-/usr/bin/python3}"
evomem=""
if [[ -n "${EVOMEM_BINARY_DIR:-}" && -x "$EVOMEM_BINARY_DIR/bin/evomem" ]]; then
  evomem="$EVOMEM_BINARY_DIR/bin/evomem"
else
  echo "pytorch_scorer_test: no evomem binary in \$EVOMEM_BINARY_DIR/bin; the 'evomem inspect' step is skipped"
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}"
if ! "$python" -c "import torch, numpy" 2> /dev/null; then
  echo "pytorch_scorer_test: $python cannot import torch and numpy (Debian: apt-get install python3-torch)" >&2
  exit 1
fi
"$python" "$source_dir/tests/memory/pytorch_scorer_check.py" "$source_dir" "$work" $evomem
