# Sourced by the command-line tests:
#   fail MESSAGE               report MESSAGE on stderr, naming the test, and exit 1
#   expect_error PATTERN CMD   CMD must fail as evomem fails on bad input: exit code 1, exactly
#                              one line on stderr containing PATTERN, nothing on stdout
#   tiny_checkpoint EVOMEM SOURCE_DIR FOLDER
#                              a random 2-layer Llama in FOLDER whose vocabulary (ids 0..20) is
#                              that of tests/model/data/tokenizer_tiny_metaspace.json, with it

fail() {
  echo "${0##*/}: $*" >&2
  exit 1
}

expect_error() {
  local pattern="$1"
  shift
  local stdout_file
  stdout_file="$(mktemp)"
  local message code
  set +e
  message="$("$@" 2>&1 >"$stdout_file")"
  code=$?
  set -e
  local stdout_text
  stdout_text="$(cat "$stdout_file")"
  rm -f "$stdout_file"
  [[ $code -eq 1 ]] || fail "exit $code (expected 1) for: $* ($message)"
  [[ "$(wc -l <<<"$message")" -eq 1 && -n "$message" ]] || fail "expected one error line for: $*, got: $message"
  grep -q -- "$pattern" <<<"$message" || fail "'$pattern' not in the error of: $* ($message)"
  [[ -z "$stdout_text" ]] || fail "wrote to stdout on error: $* ($stdout_text)"
}

tiny_checkpoint() {
  local evomem="$1" source_dir="$2" folder="$3"
  mkdir -p "$folder"
  cat > "$folder.config.json" <<'JSON'
{"architectures": ["LlamaForCausalLM"], "vocab_size": 21, "hidden_size": 64, "intermediate_size": 96,
 "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "bos_token_id": 1,
 "eos_token_id": 2, "rope_theta": 500000.0}
JSON
  "$evomem" --quiet backbone random --config "$folder.config.json" --out "$folder" --seed 3
  rm -f "$folder.config.json"
  cp "$source_dir/tests/model/data/tokenizer_tiny_metaspace.json" "$folder/tokenizer.json"
}
