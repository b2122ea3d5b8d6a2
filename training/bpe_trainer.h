#pragma once
// Trains a small byte-level BPE vocabulary (the Llama 3 pipeline: the Llama 3 split pattern,
// optionally preceded by UUID pairs, then ByteLevel) on a text corpus and writes it as a
// Hugging Face tokenizer.json, read back by model::Tokenizer like any Llama 3 tokenizer. Used
// for the built-in backbone.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/json_file.h"

namespace evomem::training {

struct BpeTrainingOptions {
  std::size_t merges = 1000;
  // Pieces containing a digit never take part in the learned merges. With number_tokens every
  // digit run the split pattern allows (1-3 digits, as Llama 3 splits numbers) becomes one
  // token through 1,100 fixed merges ranked before the learned ones: then every number's
  // tokens are as distinct as Llama 3's, and a number can be found again by one token.
  // Without it numbers stay one token per digit.
  bool number_tokens = false;
  // With uuid_pairs the split pattern cuts the hex digits of a UUID into pairs and its dashes
  // into pieces of their own (before the Llama 3 alternatives, which would cut it into runs
  // of letters and of up to three digits), and every pair "00"-"ff" is a token through fixed
  // merges ranked after the number merges. A UUID is then 16 tokens of 256 kinds and 4
  // dashes, so two of its tokens rarely occur together anywhere else in a context, where
  // Llama 3's cut gives about 25 tokens, most of them one of 16 single hex digits.
  bool uuid_pairs = false;
  std::string bos_token = "<|begin_of_text|>";
  std::string eos_token = "<|end_of_text|>";
  std::size_t model_max_length = 8192;
};

struct TrainedTokenizer {
  core::Json tokenizer;         // tokenizer.json
  core::Json tokenizer_config;  // tokenizer_config.json
  std::int64_t bos_id = 0;
  std::int64_t eos_id = 0;
  std::size_t vocab_size = 0;  // bytes + merges + special tokens
};

// Deterministic: ties between equally frequent pairs go to the lexicographically smallest.
TrainedTokenizer train_bpe(const std::vector<std::string>& corpus, const BpeTrainingOptions& options);

// Writes tokenizer.json and tokenizer_config.json into `directory`.
void write_tokenizer_files(const TrainedTokenizer& trained, const std::filesystem::path& directory);

// Reads what write_tokenizer_files wrote (a checkpoint folder's tokenizer); BOS and EOS are
// the tokens tokenizer_config.json names.
TrainedTokenizer read_tokenizer_files(const std::filesystem::path& directory);

}  // namespace evomem::training
