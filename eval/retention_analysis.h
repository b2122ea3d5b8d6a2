#pragma once
// Runs samples through the evaluation runner with a detailed retention recorder on the policy
// and turns what it saw into SampleRetention records (report/retention_record.h): the tokens
// the backbone processed with their text and byte offsets, the task's landmarks mapped onto
// those tokens, and when each token left each KV head of each layer.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "eval/runner.h"
#include "memory/policy.h"
#include "model/backbone.h"
#include "model/tokenizer.h"
#include "report/retention_record.h"

namespace evomem::eval {

class RetentionAnalyzer {
 public:
  // The backbone and tokenizer must outlive the analyzer.
  RetentionAnalyzer(model::Backbone& backbone, const model::Tokenizer& tokenizer, RunnerOptions options);

  // Runs `sample` with `policy` (reset first) and records its decisions.
  report::SampleRetention analyze(const tasks::TaskSpec& task, const tasks::EvalSample& sample, memory::Policy& policy);

 private:
  model::Backbone& backbone_;
  const model::Tokenizer& tokenizer_;
  Runner runner_;
};

// Fills token_texts, char_begin/char_end, text and token_classes of `record` from its
// token_ids. `decode` gives the text of a run of ids; a token that stands for part of a
// multi-byte character is merged with the following ones into one text, held by the first
// (the others get empty text), so `text` stays valid UTF-8.
void fill_token_text(report::SampleRetention& record,
                     const std::function<std::string(const std::vector<std::int64_t>&)>& decode,
                     const std::function<bool(std::int64_t)>& is_special);

// Maps the sample's context onto the record's tokens: preamble_end (tokens before the context)
// and one TokenSpan per context span that is in the prompt (spans cut away by truncation are
// left out). The context is found in `text` by its first and last bytes.
void locate_context(report::SampleRetention& record, const std::string& context,
                    const std::vector<tasks::ContextSpan>& spans);

}  // namespace evomem::eval
