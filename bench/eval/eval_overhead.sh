#!/usr/bin/env bash
# Runner overhead outside the model (prompt building and scoring) as a share of the time of
# `evomem eval`, on a small random backbone with the tiny test tokenizer and synthetic
# LongBench-style samples (qasper: qa_f1, gov_report: rouge with 512 new tokens).
# usage: bash bench/eval/eval_overhead.sh BUILD_DIR [SAMPLES] [CONTEXT_CHARS]
set -euo pipefail
build="${1:?build folder}"
samples="${2:-16}"
chars="${3:-3000}"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
evomem="$build/bin/evomem"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cat > "$work/config.json" <<'JSON'
{"architectures": ["LlamaForCausalLM"], "vocab_size": 21, "hidden_size": 128, "intermediate_size": 344,
 "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "bos_token_id": 1,
 "eos_token_id": 2, "rope_theta": 500000.0}
JSON
"$evomem" --quiet backbone random --config "$work/config.json" --out "$work/model" --seed 1
cp "$repo/tests/model/data/tokenizer_tiny_metaspace.json" "$work/model/tokenizer.json"
/usr/bin/python3 - "$work" "$samples" "$chars" <<'PY'
import json, random, sys
work, samples, chars = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(0)
words = "the report states that agency budget increase program data shows cost review federal plan risk".split()
def text(n):
    out = []
    while sum(len(w) + 1 for w in out) < n:
        out.append(rng.choice(words))
    return " ".join(out)
for task in ("qasper", "gov_report"):
    with open(f"{work}/{task}.jsonl", "w") as f:
        for i in range(samples):
            f.write(json.dumps({"input": "What does the report say?", "context": text(chars), "answers": [text(300)],
                                "length": chars // 6, "dataset": task, "language": "en", "all_classes": None,
                                "_id": f"{task}-{i}"}) + "\n")
PY
"$evomem" --quiet eval --backbone "$work/model" --tasks qasper,gov_report --data "$work" --context-window 2048 \
  --out "$work/results.jsonl"
