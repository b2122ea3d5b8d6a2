#pragma once
// The examples the built-in backbone is trained on: task samples (prompt, answer, EOS; with
// extra answered questions for kv_retrieval) and the drills that build the copying circuit
// (copy drills over codes, induction drills over random tokens). Each carries a loss weight
// per position, so the trainer only sees tokens and weights.

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "model/tokenizer.h"
#include "tasks/synthetic/generators.h"
#include "tasks/synthetic/random.h"

namespace evomem::training {

// One training sequence: BOS, prompt, answer, EOS; weight[t] scales the loss of predicting
// token t + 1 from the tokens up to t.
struct Example {
  std::string task;
  std::vector<std::int64_t> tokens;
  std::vector<float> weights;
  std::size_t answer_begin = 0;  // first answer token (the prompt's length)
  std::size_t answer_end = 0;    // one past the last answer token (before EOS)
};

// What the model should write after a sample's prompt: the answers as they appear in the
// context (kv_retrieval's value keeps the opening quote the JSON puts before it).
std::string answer_text(const tasks::SyntheticSample& sample);

// The key/value pairs of a kv_retrieval context's JSON object, in order.
std::vector<std::pair<std::string, std::string>> kv_pairs(const std::string& context);

// BOS, prompt, answer, EOS. A kv_retrieval sample asks for one key of many; with
// `extra_kv_queries` > 0 it first asks for that many other keys of the same object (drawn
// from `query_seed`) in the task's own words, each answered, so one long sample teaches the
// key lookup several times instead of once. Answers and EOS carry weight 1, the rest
// `context_weight`.
Example make_example(const tasks::SyntheticSample& sample, const model::Tokenizer& tokenizer, double context_weight,
                     std::size_t extra_kv_queries = 0, std::uint64_t query_seed = 0);

// A copy drill of about `length` tokens: a list of random codes (UUIDs and numbers), then a
// shuffled subset of them again; weight 1 on every repeated code's tokens after its first.
Example make_copy_drill(std::size_t length, tasks::SyntheticRng& rng, const model::Tokenizer& tokenizer);

// An induction drill of `length` tokens: BOS (id `vocabulary`), random tokens, then spans of
// them again; weight 1 on every repeated token after a span's first. `alphabet` ids spread
// evenly over [0, vocabulary) are drawn (0: all).
Example make_induction_drill(std::size_t length, tasks::SyntheticRng& rng, std::int64_t vocabulary,
                             std::int64_t alphabet);

}  // namespace evomem::training
