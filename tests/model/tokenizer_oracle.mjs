// Reference tokenization for evomem's tokenizer parity test and benchmark.
//
//   node tests/model/tokenizer_oracle.mjs encode TOKENIZER_DIR CORPUS.jsonl
//     For every {"text": ...} line of the corpus prints one JSON line:
//     {"text": <the text with lone surrogates replaced by U+FFFD, as UTF-8 can hold it>,
//      "ids": encode(text), "ids_no_special": encode(text, add_special_tokens=false),
//      "decoded": decode(ids), "decoded_skip": decode(ids, skip_special_tokens)}
//   node tests/model/tokenizer_oracle.mjs bench TOKENIZER_DIR TEXT_FILE SECONDS
//     Encodes the file's lines once (first_pass_mb_per_s, empty word cache), then repeatedly
//     for about SECONDS and prints {"load_seconds", "first_pass_mb_per_s", "mb_per_s", "bytes", "seconds", "tokens"}.
//
// TOKENIZER_DIR holds tokenizer.json and tokenizer_config.json. The reference is the
// @huggingface/tokenizers npm package installed by scripts/setup.sh into .deps/npm.

import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, "..", "..");
const modules = path.join(repo, ".deps", "npm", "node_modules");
const reference = path.join(modules, "@huggingface", "tokenizers", "dist", "tokenizers.mjs");

if (!fs.existsSync(reference)) {
  console.error(`tokenizer_oracle: the reference package is missing (${reference}); run \`bash scripts/setup.sh\``);
  process.exit(2);
}
const { Tokenizer } = await import(pathToFileURL(reference).href);

const [mode, dir, input, seconds] = process.argv.slice(2);
if (!["encode", "bench"].includes(mode) || !dir || !input) {
  console.error("usage: tokenizer_oracle.mjs encode DIR CORPUS.jsonl | bench DIR TEXT_FILE SECONDS");
  process.exit(2);
}
const loadStart = process.hrtime.bigint();
const readJson = (file) => JSON.parse(fs.readFileSync(path.join(dir, file), "utf8"));
const config = fs.existsSync(path.join(dir, "tokenizer_config.json")) ? readJson("tokenizer_config.json") : {};
const tokenizer = new Tokenizer(readJson("tokenizer.json"), config);
const loadSeconds = Number(process.hrtime.bigint() - loadStart) / 1e9;

const decode = (ids, options) => (ids.length === 0 ? "" : tokenizer.decode(ids, options));

if (mode === "encode") {
  const out = [];
  for (const line of fs.readFileSync(input, "utf8").split("\n")) {
    if (line.trim() === "") continue;
    // Lone surrogates cannot travel in UTF-8: both sides tokenize the U+FFFD they become.
    const text = JSON.parse(line).text.toWellFormed();
    const ids = tokenizer.encode(text).ids;
    out.push(
      JSON.stringify({
        text,
        ids,
        ids_no_special: tokenizer.encode(text, { add_special_tokens: false }).ids,
        decoded: decode(ids, {}).toWellFormed(),
        decoded_skip: decode(ids, { skip_special_tokens: true }).toWellFormed(),
      }),
    );
  }
  process.stdout.write(out.join("\n") + "\n");
} else {
  const lines = fs.readFileSync(input, "utf8").split("\n");
  const bytes = Buffer.byteLength(lines.join("\n"), "utf8") + 1;
  const budget = Number(seconds ?? "3");
  const firstStart = process.hrtime.bigint();
  for (const line of lines) tokenizer.encode(line, { add_special_tokens: false });
  const firstSeconds = Number(process.hrtime.bigint() - firstStart) / 1e9;
  let rounds = 0;
  let tokens = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  do {
    for (const line of lines) tokens += tokenizer.encode(line, { add_special_tokens: false }).ids.length;
    ++rounds;
    elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  } while (elapsed < budget);
  console.log(
    JSON.stringify({
      load_seconds: loadSeconds,
      first_pass_mb_per_s: bytes / firstSeconds / 1e6,
      mb_per_s: (bytes * rounds) / elapsed / 1e6,
      bytes: bytes * rounds,
      seconds: elapsed,
      tokens,
    }),
  );
}
