#include "model/generation.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <set>

#include "core/error.h"

namespace evomem::model {

const char* stop_reason_name(GenerationResult::StopReason reason) {
  switch (reason) {
    case GenerationResult::StopReason::kLength: return "length";
    case GenerationResult::StopReason::kStopToken: return "stop_token";
    case GenerationResult::StopReason::kStopString: return "stop_string";
  }
  return "?";
}

std::vector<GenerationResult> generate(Backbone& backbone, const std::vector<std::vector<std::int64_t>>& prompts,
                                       const GenerationOptions& options) {
  c10::InferenceMode inference_mode;
  if (prompts.empty()) throw InputError("generate: no prompts");
  if (!options.stop_strings.empty() && !options.decode) {
    throw InputError("generate: stop strings need a decode function (a tokenizer)");
  }
  std::int64_t batch = static_cast<std::int64_t>(prompts.size());
  std::size_t longest = 0;
  for (const auto& prompt : prompts) {
    if (prompt.empty()) throw InputError("generate: empty prompt");
    longest = std::max(longest, prompt.size());
  }

  std::set<std::int64_t> stop_ids(options.stop_token_ids.begin(), options.stop_token_ids.end());
  if (options.use_config_eos)
    stop_ids.insert(backbone.config().eos_token_ids.begin(), backbone.config().eos_token_ids.end());

  // Left padding puts every prompt's last token in the same column, so one decode step
  // serves the whole batch.
  const std::int64_t width = static_cast<std::int64_t>(longest);
  at::Tensor tokens = at::zeros({batch, width}, at::TensorOptions().dtype(at::kLong));
  at::Tensor valid = at::zeros({batch, width}, at::TensorOptions().dtype(at::kBool));
  for (std::int64_t row = 0; row < batch; ++row) {
    const auto& prompt = prompts[static_cast<std::size_t>(row)];
    const std::int64_t offset = width - static_cast<std::int64_t>(prompt.size());
    auto token_access = tokens.accessor<std::int64_t, 2>();
    auto valid_access = valid.accessor<bool, 2>();
    for (std::size_t i = 0; i < prompt.size(); ++i) {
      token_access[row][offset + static_cast<std::int64_t>(i)] = prompt[i];
      valid_access[row][offset + static_cast<std::int64_t>(i)] = true;
    }
  }

  backbone.reset(batch);
  PrefillOptions prefill_options;
  prefill_options.chunk_size = options.chunk_size;
  prefill_options.observer = options.observer;
  prefill_options.token_valid = valid;
  at::Tensor logits = backbone.prefill(tokens, prefill_options);

  std::vector<GenerationResult> results(static_cast<std::size_t>(batch));
  std::vector<bool> finished(static_cast<std::size_t>(batch), false);
  std::int64_t active = batch;
  const auto finish = [&](std::int64_t row) {
    finished[static_cast<std::size_t>(row)] = true;
    --active;
    if (options.on_finished) options.on_finished(row);
  };
  for (std::int64_t step = 0; step < options.max_new_tokens && active > 0; ++step) {
    if (logits.size(0) != static_cast<std::int64_t>(results.size())) {
      // The observer branched every sequence into several rows (observation.h): each copy
      // carries on from what its sequence generated so far.
      const auto times = static_cast<std::size_t>(logits.size(0)) / results.size();
      std::vector<GenerationResult> branched_results;
      std::vector<bool> branched_finished;
      for (std::size_t row = 0; row < results.size(); ++row) {
        branched_results.insert(branched_results.end(), times, results[row]);
        branched_finished.insert(branched_finished.end(), times, finished[row]);
      }
      results = std::move(branched_results);
      finished = std::move(branched_finished);
      active *= static_cast<std::int64_t>(times);
      batch = logits.size(0);
    }
    const at::Tensor next = logits.argmax(-1).to(at::kCPU);
    const auto next_access = next.accessor<std::int64_t, 1>();
    for (std::int64_t row = 0; row < batch; ++row) {
      const std::size_t r = static_cast<std::size_t>(row);
      if (finished[r]) continue;
      const std::int64_t token = next_access[row];
      GenerationResult& result = results[r];
      if (stop_ids.count(token)) {
        result.stop_reason = GenerationResult::StopReason::kStopToken;
        finish(row);
        continue;
      }
      result.tokens.push_back(token);
      if (!options.stop_strings.empty()) {
        const std::string text = options.decode(result.tokens);
        for (const std::string& stop : options.stop_strings) {
          if (!stop.empty() && text.find(stop) != std::string::npos) {
            result.stop_reason = GenerationResult::StopReason::kStopString;
            finish(row);
            break;
          }
        }
      }
    }
    if (active == 0 || step + 1 == options.max_new_tokens) break;
    // Finished rows keep decoding their own last token; their output is ignored.
    logits = backbone.decode_step(next, options.observer);
  }
  for (std::int64_t row = 0; row < batch; ++row) {
    if (!finished[static_cast<std::size_t>(row)]) finish(row);
  }

  if (options.decode) {
    for (GenerationResult& result : results) {
      result.text = options.decode(result.tokens);
      if (result.stop_reason == GenerationResult::StopReason::kStopString) {
        std::size_t cut = std::string::npos;
        for (const std::string& stop : options.stop_strings) {
          if (!stop.empty()) cut = std::min(cut, result.text.find(stop));
        }
        if (cut != std::string::npos) result.text.resize(cut);
      }
    }
  }
  return results;
}

}  // namespace evomem::model
