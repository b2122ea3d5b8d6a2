#pragma once
// Greedy generation for a batch of prompts: left-padded chunked prefill, then one decode step
// per new token until every sequence has stopped (stop token, stop string or length).

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "model/backbone.h"

namespace evomem::model {

// Turns generated token ids into text (the tokenizer's decode); needed for stop strings.
using DecodeFunction = std::function<std::string(const std::vector<std::int64_t>& ids)>;

struct GenerationOptions {
  std::int64_t max_new_tokens = 64;
  std::int64_t chunk_size = 512;             // prefill chunk
  std::vector<std::int64_t> stop_token_ids;  // empty: the config's eos_token_ids
  bool use_config_eos = true;                // also stop at config.json's EOS ids
  std::vector<std::string> stop_strings;     // stop once the decoded text contains one
  DecodeFunction decode;                     // required when stop_strings is not empty
  AttentionObserver* observer = nullptr;     // watches prefill and decode
  // Called once per row as soon as it stops, with the backbone as the row left it (other
  // rows of the batch go on decoding, which also feeds the stopped row its last token).
  std::function<void(std::int64_t row)> on_finished;
};

struct GenerationResult {
  enum class StopReason { kLength, kStopToken, kStopString };
  std::vector<std::int64_t> tokens;  // generated ids; the stop token is not included
  std::string text;                  // decoded text (cut before a stop string) if decode is set
  StopReason stop_reason = StopReason::kLength;
};

const char* stop_reason_name(GenerationResult::StopReason reason);

// Generates for every prompt; the backbone is reset to a batch of prompts.size() sequences.
// When the observer branches the sequences (observation.h), there is one result per row:
// prompt p's copies are results p * k .. p * k + k - 1.
std::vector<GenerationResult> generate(Backbone& backbone, const std::vector<std::vector<std::int64_t>>& prompts,
                                       const GenerationOptions& options);

}  // namespace evomem::model
