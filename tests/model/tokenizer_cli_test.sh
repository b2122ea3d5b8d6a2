#!/usr/bin/env bash
# `evomem tokenize` on the tiny metaspace tokenizer: ids per line, --no-bos, --decode, and a
# one-line error for an unsupported tokenizer. Usage: tokenizer_cli_test.sh EVOMEM_BINARY
set -euo pipefail
evomem="$1"
data="${EVOMEM_SOURCE_DIR}/tests/model/data"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

source "$(dirname "${BASH_SOURCE[0]}")/../support/cli_support.sh"

printf 'hi\n hi there\n\nhi [SEP] there\n' > "$work/input.txt"
"$evomem" tokenize --tokenizer "$data/tokenizer_tiny_metaspace.json" --text-file "$work/input.txt" > "$work/ids.txt"
expected=$'[1,5,12]\n[1,5,5,12,18]\n[1]\n[1,5,12,20,18]'
[[ "$(cat "$work/ids.txt")" == "$expected" ]] || fail "unexpected ids: $(cat "$work/ids.txt")"

printf 'hi\n' | "$evomem" tokenize --tokenizer "$data/tokenizer_tiny_metaspace.json" --no-bos > "$work/plain.txt"
[[ "$(cat "$work/plain.txt")" == "[5,12]" ]] || fail "--no-bos gave $(cat "$work/plain.txt")"

"$evomem" tokenize --tokenizer "$data/tokenizer_tiny_metaspace.json" --decode --skip-special-tokens \
  --text-file "$work/ids.txt" > "$work/text.txt"
expected=$'"hi"\n" hi there"\n""\n"hi[SEP] there"'
[[ "$(cat "$work/text.txt")" == "$expected" ]] || fail "unexpected decode: $(cat "$work/text.txt")"

if "$evomem" tokenize --tokenizer "$data/tokenizer_bad_model_type.json" < "$work/input.txt" > /dev/null 2> "$work/error.txt"; then
  fail "an unsupported tokenizer was accepted"
fi
[[ "$(wc -l < "$work/error.txt")" -eq 1 ]] || fail "expected one error line, got: $(cat "$work/error.txt")"
grep -q "model.type" "$work/error.txt" || fail "the error does not name the field: $(cat "$work/error.txt")"
echo "tokenizer_cli_test: ok"
