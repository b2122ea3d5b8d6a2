#!/usr/bin/env bash
# The command-line contract: help and version work, and every error is one line on stderr with
# exit 1 (user mistakes).
set -euo pipefail
evomem="$1"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
source "$(dirname "${BASH_SOURCE[0]}")/../support/cli_support.sh"

"$evomem" --help >"$work/help" 2>&1 || fail "--help exited non-zero"
grep -q "inspect" "$work/help" || fail "--help does not list the inspect command"
for command in $("$evomem" --help | awk '/^Subcommands:/ {on=1; next} on && NF {print $1}'); do
  "$evomem" "$command" --help >/dev/null 2>&1 || fail "'$command --help' exited non-zero"
done
"$evomem" --version | grep -Eq '^evomem [0-9]+\.[0-9]+\.[0-9]+ \(commit [^)]+\)$' || fail "--version output"

expect_error "unknown command 'frobnicate'" "$evomem" frobnicate
expect_error "A subcommand is required" "$evomem"
expect_error "does not exist" "$evomem" inspect "$work/absent.safetensors"
expect_error "log-level 'loud'" "$evomem" --log-level loud inspect "$work"
printf 'abc' >"$work/short.safetensors"
expect_error "too short for a safetensors header" "$evomem" inspect "$work/short.safetensors"
printf 'plain text' >"$work/notes.txt"
expect_error "not a safetensors file, checkpoint folder or HDF5 file" "$evomem" inspect "$work/notes.txt"

# A real file inspects fine, as text and as JSON.
python3_bin=/usr/bin/python3
"$python3_bin" - "$work/ok.safetensors" <<'PY'
import json, struct, sys
header = json.dumps({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}).encode()
header += b" " * ((8 - len(header) % 8) % 8)
open(sys.argv[1], "wb").write(struct.pack("<Q", len(header)) + header + struct.pack("<2f", 1.0, 2.0))
PY
"$evomem" inspect "$work/ok.safetensors" | grep -q "^w  F32  \[2\]" || fail "inspect text output"
"$evomem" inspect --json "$work/ok.safetensors" | "$python3_bin" -c 'import json,sys; d=json.load(sys.stdin); assert d["parameters"] == 2' \
  || fail "inspect --json output"

echo "cli contract: all checks passed"
