#include "training/bpe_trainer.h"

#include <algorithm>
#include <map>
#include <unordered_map>

#include "core/error.h"
#include "core/files.h"
#include "model/pretokenizer.h"
#include "model/tokenizer.h"

namespace evomem::training {
namespace {

const char* kLlama3Pattern =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|"
    "\\s+(?!\\S)|\\s+";

// The hex digits of a UUID (8-4-4-4-12 groups) in pairs and its dashes alone. A pair of groups
// 1-4 is split off where the rest of the UUID follows it; a pair of group 5 where a dash, a
// group of four and a dash precede its group and the rest of the group follows. Put before
// the Llama 3 alternatives, these take precedence inside UUIDs (which Llama 3 would cut into
// runs of letters, one of them with the dash before it, and runs of up to three digits) and
// match nowhere else.
std::string uuid_pair_pattern() {
  const auto hex = [](int n) { return "[0-9a-f]{" + std::to_string(n) + "}"; };
  const std::string end = "(?![0-9a-f])";
  const std::string last = "-" + hex(12) + end;
  const std::string after_group4 = "(?:" + hex(2) + "|)" + last;
  const std::string after_group3 = "(?:" + hex(2) + "|)-" + hex(4) + last;
  const std::string after_group2 = "(?:" + hex(2) + "|)-" + hex(4) + "-" + hex(4) + last;
  const std::string after_group1 = "(?:" + hex(6) + "|" + hex(4) + "|" + hex(2) + "|)-" + hex(4) + "-" + hex(4) + "-" +
                                   hex(4) + last;
  std::string pattern = hex(2) + "(?=" + after_group1 + "|" + after_group2 + "|" + after_group3 + "|" + after_group4 +
                        ")";
  for (int before = 0; before <= 10; before += 2) {
    pattern += "|(?<=-" + hex(4) + "-" + (before > 0 ? hex(before) : "") + ")" + hex(2) +
               "(?=" + (before < 10 ? hex(10 - before) : "") + end + ")";
  }
  return pattern + "|-(?=" + hex(4) + "-|" + hex(12) + end + ")";
}

std::string split_pattern(bool uuid_pairs) {
  return uuid_pairs ? uuid_pair_pattern() + "|" + kLlama3Pattern : kLlama3Pattern;
}

core::Json pre_tokenizer_json(bool uuid_pairs) {
  return core::Json{{"type", "Sequence"},
                    {"pretokenizers", core::Json::array({core::Json{{"type", "Split"},
                                                                    {"pattern", {{"Regex", split_pattern(uuid_pairs)}}},
                                                                    {"behavior", "Isolated"},
                                                                    {"invert", false}},
                                                         core::Json{{"type", "ByteLevel"},
                                                                    {"add_prefix_space", false},
                                                                    {"trim_offsets", true},
                                                                    {"use_regex", false}}})}};
}

// The byte-level characters of a piece (each a UTF-8 string of one stand-in code point).
std::vector<std::string> split_symbols(const std::string& piece) {
  std::vector<std::string> symbols;
  for (std::size_t i = 0; i < piece.size();) {
    const auto lead = static_cast<unsigned char>(piece[i]);
    const std::size_t size = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
    symbols.push_back(piece.substr(i, size));
    i += size;
  }
  return symbols;
}

// Merges that make every string of one to three digits a single token. BPE applies the
// lowest-ranked adjacent pair first (the leftmost of equal ranks), so "abc" becomes "ab" + "c"
// when rank(ab) <= rank(bc) and "a" + "bc" otherwise; its second merge is ranked to match.
std::vector<std::pair<std::string, std::string>> number_merges() {
  std::vector<std::pair<std::string, std::string>> merges;
  const auto digit = [](int d) { return std::string(1, static_cast<char>('0' + d)); };
  for (int a = 0; a < 10; ++a) {
    for (int b = 0; b < 10; ++b) merges.emplace_back(digit(a), digit(b));  // rank(ab) = 10a + b
  }
  for (int a = 0; a < 10; ++a) {
    for (int b = 0; b < 10; ++b) {
      for (int c = 0; c < 10; ++c) {
        if (10 * a + b <= 10 * b + c) {
          merges.emplace_back(digit(a) + digit(b), digit(c));
        } else {
          merges.emplace_back(digit(a), digit(b) + digit(c));
        }
      }
    }
  }
  return merges;
}

bool is_hex_pair(const std::string& piece) {
  const auto hex = [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); };
  return piece.size() == 2 && hex(piece[0]) && hex(piece[1]);
}

// One merge per pair of hex digits, "00" to "ff".
std::vector<std::pair<std::string, std::string>> hex_pair_merges() {
  const std::string digits = "0123456789abcdef";
  std::vector<std::pair<std::string, std::string>> merges;
  for (const char a : digits) {
    for (const char b : digits) merges.emplace_back(std::string(1, a), std::string(1, b));
  }
  return merges;
}

}  // namespace

TrainedTokenizer train_bpe(const std::vector<std::string>& corpus, const BpeTrainingOptions& options) {
  const auto pre_tokenizer = model::PreTokenizer::from_json(pre_tokenizer_json(options.uuid_pairs), "bpe trainer",
                                                            "pre_tokenizer");
  std::map<std::string, std::int64_t> piece_counts;  // ordered: deterministic word order
  for (const auto& text : corpus) {
    std::vector<std::string> pieces{text};
    pre_tokenizer->pre_tokenize(pieces, true);
    for (const auto& piece : pieces) {
      if (std::any_of(piece.begin(), piece.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        continue;
      }
      if (options.uuid_pairs && is_hex_pair(piece)) continue;  // a fixed token below
      ++piece_counts[piece];
    }
  }
  std::vector<std::vector<std::string>> words;
  std::vector<std::int64_t> counts;
  for (const auto& [piece, count] : piece_counts) {
    words.push_back(split_symbols(piece));
    counts.push_back(count);
  }

  core::Json vocab = core::Json::object();
  std::int64_t next_id = 0;
  for (int byte = 0; byte < 256; ++byte) vocab[model::byte_level_char(static_cast<unsigned char>(byte))] = next_id++;
  core::Json merges = core::Json::array();
  if (options.number_tokens) {
    for (const auto& [left, right] : number_merges()) {
      merges.push_back(left + " " + right);
      vocab[left + right] = next_id++;
    }
  }
  if (options.uuid_pairs) {
    for (const auto& [left, right] : hex_pair_merges()) {
      if (vocab.contains(left + right)) continue;  // a number token
      merges.push_back(left + " " + right);
      vocab[left + right] = next_id++;
    }
  }
  for (std::size_t round = 0; round < options.merges; ++round) {
    std::map<std::pair<std::string, std::string>, std::int64_t> pair_counts;
    for (std::size_t w = 0; w < words.size(); ++w) {
      for (std::size_t i = 0; i + 1 < words[w].size(); ++i) pair_counts[{words[w][i], words[w][i + 1]}] += counts[w];
    }
    const std::pair<std::string, std::string>* best = nullptr;
    std::int64_t best_count = 1;  // a pair seen once is not worth a token
    for (const auto& [pair, count] : pair_counts) {
      if (count > best_count) {
        best = &pair;
        best_count = count;
      }
    }
    if (best == nullptr) break;
    const auto [left, right] = *best;
    const std::string joined = left + right;
    merges.push_back(left + " " + right);
    if (!vocab.contains(joined)) vocab[joined] = next_id++;
    for (auto& word : words) {
      std::vector<std::string> merged;
      for (std::size_t i = 0; i < word.size(); ++i) {
        if (i + 1 < word.size() && word[i] == left && word[i + 1] == right) {
          merged.push_back(joined);
          ++i;
        } else {
          merged.push_back(word[i]);
        }
      }
      word.swap(merged);
    }
  }

  TrainedTokenizer trained;
  trained.bos_id = next_id++;
  trained.eos_id = next_id++;
  trained.vocab_size = static_cast<std::size_t>(next_id);
  const auto added = [](const std::string& content, std::int64_t id) {
    return core::Json{{"id", id},        {"content", content},  {"single_word", false}, {"lstrip", false},
                      {"rstrip", false}, {"normalized", false}, {"special", true}};
  };
  core::Json& tokenizer = trained.tokenizer;
  tokenizer["version"] = "1.0";
  tokenizer["truncation"] = nullptr;
  tokenizer["padding"] = nullptr;
  tokenizer["added_tokens"] = core::Json::array(
      {added(options.bos_token, trained.bos_id), added(options.eos_token, trained.eos_id)});
  tokenizer["normalizer"] = nullptr;
  tokenizer["pre_tokenizer"] = pre_tokenizer_json(options.uuid_pairs);
  tokenizer["post_processor"] = core::Json{
      {"type", "TemplateProcessing"},
      {"single", core::Json::array({core::Json{{"SpecialToken", {{"id", options.bos_token}, {"type_id", 0}}}},
                                    core::Json{{"Sequence", {{"id", "A"}, {"type_id", 0}}}}})},
      {"pair", core::Json::array({core::Json{{"SpecialToken", {{"id", options.bos_token}, {"type_id", 0}}}},
                                  core::Json{{"Sequence", {{"id", "A"}, {"type_id", 0}}}},
                                  core::Json{{"SpecialToken", {{"id", options.bos_token}, {"type_id", 1}}}},
                                  core::Json{{"Sequence", {{"id", "B"}, {"type_id", 1}}}}})},
      {"special_tokens",
       {{options.bos_token,
         {{"id", options.bos_token},
          {"ids", core::Json::array({trained.bos_id})},
          {"tokens", core::Json::array({options.bos_token})}}}}}};
  tokenizer["decoder"] = core::Json{
      {"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", true}, {"use_regex", true}};
  tokenizer["model"] = core::Json{{"type", "BPE"},
                                  {"dropout", nullptr},
                                  {"unk_token", nullptr},
                                  {"continuing_subword_prefix", nullptr},
                                  {"end_of_word_suffix", nullptr},
                                  {"fuse_unk", false},
                                  {"byte_fallback", false},
                                  {"ignore_merges", true},
                                  {"vocab", vocab},
                                  {"merges", merges}};
  trained.tokenizer_config = core::Json{{"bos_token", options.bos_token},
                                        {"eos_token", options.eos_token},
                                        {"clean_up_tokenization_spaces", false},
                                        {"model_max_length", options.model_max_length},
                                        {"tokenizer_class", "PreTrainedTokenizerFast"}};
  return trained;
}

void write_tokenizer_files(const TrainedTokenizer& trained, const std::filesystem::path& directory) {
  std::filesystem::create_directories(directory);
  core::write_text_file_atomically(directory / "tokenizer.json", trained.tokenizer.dump(1) + "\n");
  core::write_text_file_atomically(directory / "tokenizer_config.json", trained.tokenizer_config.dump(2) + "\n");
}

TrainedTokenizer read_tokenizer_files(const std::filesystem::path& directory) {
  TrainedTokenizer read;
  read.tokenizer = core::read_json_file(directory / "tokenizer.json");
  read.tokenizer_config = core::read_json_file(directory / "tokenizer_config.json");
  const auto tokenizer = model::Tokenizer::from_json(read.tokenizer, &read.tokenizer_config, directory.string());
  const auto bos = tokenizer.bos_token_id();
  const auto eos = tokenizer.eos_token_id();
  if (!bos || !eos) {
    throw ConfigError((directory / "tokenizer_config.json").string() +
                      ": no bos_token or eos_token; start from a folder written by `evomem backbone train`");
  }
  read.bos_id = *bos;
  read.eos_id = *eos;
  read.vocab_size = tokenizer.vocab_size();
  return read;
}

}  // namespace evomem::training
