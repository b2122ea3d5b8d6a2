#include "training/backbone_examples.h"

#include <algorithm>
#include <regex>

#include "core/text.h"
#include "tasks/prompt_builder.h"
#include "tasks/synthetic/suite.h"

namespace evomem::training {

std::string answer_text(const tasks::SyntheticSample& sample) {
  if (sample.task == "synth_kv_retrieval") return " \"" + sample.answers.at(0);
  std::string text;
  for (const auto& answer : sample.answers) text += (text.empty() ? " " : ", ") + answer;
  return text;
}

std::vector<std::pair<std::string, std::string>> kv_pairs(const std::string& context) {
  static const std::regex pair(R"re("([0-9a-f-]{36})": "([0-9a-f-]{36})")re");
  std::vector<std::pair<std::string, std::string>> pairs;
  for (auto it = std::sregex_iterator(context.begin(), context.end(), pair); it != std::sregex_iterator(); ++it) {
    pairs.emplace_back((*it)[1].str(), (*it)[2].str());
  }
  return pairs;
}

Example make_example(const tasks::SyntheticSample& sample, const model::Tokenizer& tokenizer, double context_weight,
                     std::size_t extra_kv_queries, std::uint64_t query_seed) {
  Example example;
  example.task = sample.task;
  example.tokens.push_back(*tokenizer.bos_token_id());
  example.weights.push_back(0.0f);
  // weights[t] scales predicting token t + 1, so each appended token sets its predecessor's.
  const auto append = [&](const std::string& text, double weight) {
    for (const auto id : tokenizer.encode(text, false)) {
      example.tokens.push_back(id);
      example.weights.push_back(0.0f);
      example.weights[example.tokens.size() - 2] = static_cast<float>(weight);
    }
  };
  const std::string prompt = tasks::fill_template(tasks::synthetic_task_spec(sample.task).prompt_template,
                                                  {{"context", sample.context}, {"input", sample.input}}, sample.task);
  const auto pairs = sample.task == "synth_kv_retrieval" && extra_kv_queries > 0
                         ? kv_pairs(sample.context)
                         : std::vector<std::pair<std::string, std::string>>{};
  const auto asked = std::find_if(pairs.begin(), pairs.end(),
                                  [&](const auto& kv) { return kv.second == sample.answers.at(0); });
  const std::size_t key_at = asked != pairs.end() ? sample.input.find(asked->first) : std::string::npos;
  if (key_at != std::string::npos && core::ends_with(prompt, sample.input)) {
    append(prompt.substr(0, prompt.size() - sample.input.size()), context_weight);
    tasks::SyntheticRng rng(query_seed);
    for (std::size_t q = 0; q < extra_kv_queries; ++q) {
      const auto& [key, value] = pairs[rng.below(pairs.size())];
      std::string question = sample.input;
      question.replace(key_at, asked->first.size(), key);
      append(question, context_weight);
      append(" \"" + value, 1.0);
      append("\"\n\n", context_weight);
    }
    append(sample.input, context_weight);
  } else {
    append(prompt, context_weight);
  }
  example.answer_begin = example.tokens.size();
  append(answer_text(sample), 1.0);
  example.answer_end = example.tokens.size();
  example.tokens.push_back(*tokenizer.eos_token_id());
  example.weights.push_back(0.0f);  // nothing follows EOS
  example.weights[example.tokens.size() - 2] = 1.0f;
  return example;
}

// A copy drill: a list of random codes (UUIDs and numbers), then a shuffled subset of them
// again. Every token of a repeated code after its first can only be predicted by finding the
// same code earlier and copying what followed it there, which is the retrieval skill every
// synthetic task needs: the tasks offer a handful of such tokens per sample, a drill offers
// hundreds. (On the 0.7 M-parameter backbone, 1,400 steps of drills alone at 128 tokens did
// not yet get below the loss of guessing; see docs/synthetic.md.)
Example make_copy_drill(std::size_t length, tasks::SyntheticRng& rng, const model::Tokenizer& tokenizer) {
  const auto encode = [&](const std::string& text) { return tokenizer.encode(text, false); };
  std::vector<std::vector<std::int64_t>> codes;
  std::size_t listed = 0;
  while (listed < length * 3 / 5) {
    const auto kind = rng.below(3);
    const std::string code = kind == 0 ? rng.uuid() : rng.digits(kind == 1 ? 7 : 5);
    codes.push_back(encode(" " + code + ","));
    listed += codes.back().size();
  }
  std::vector<std::size_t> order(codes.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  rng.shuffle(order);

  Example example;
  example.task = "copy_drill";
  example.tokens.push_back(*tokenizer.bos_token_id());
  const auto append = [&](const std::vector<std::int64_t>& ids, bool predictable) {
    for (std::size_t i = 0; i < ids.size(); ++i) {
      example.tokens.push_back(ids[i]);
      // weights[t] scales the prediction of token t + 1: the first token of a repeated code
      // (which code comes next is random) is not predictable, the rest are.
      example.weights.push_back(0.0f);
      if (predictable && i > 0) example.weights[example.tokens.size() - 2] = 1.0f;
    }
  };
  example.weights.push_back(0.0f);  // BOS
  append(encode("Codes:"), false);
  for (const auto& code : codes) append(code, false);
  append(encode("\nThe same codes again:"), false);
  std::size_t repeated = 0;
  for (const auto index : order) {
    if (repeated >= length * 2 / 5) break;
    append(codes[index], true);
    repeated += codes[index].size();
  }
  example.tokens.push_back(*tokenizer.eos_token_id());
  example.weights.push_back(0.0f);
  example.answer_begin = example.answer_end = example.tokens.size() - 1;
  return example;
}

// An induction drill: random tokens of the whole vocabulary, then spans of them again, each
// from a random place and of random length. Each repeated token after a span's first is
// predictable only by finding the token before it earlier and copying what followed it: the
// induction circuit retrieval is built on. With a large alphabet one earlier match is almost
// always unique, so the circuit pays off from the first step it half-works, which the copy
// drills' codes over ten digits or sixteen hex characters do not offer. `alphabet` ids
// spread evenly over the ordinary tokens [0, vocabulary) are drawn (0: all).
Example make_induction_drill(std::size_t length, tasks::SyntheticRng& rng, std::int64_t vocabulary,
                             std::int64_t alphabet) {
  Example example;
  example.task = "induction_drill";
  const std::size_t listed = std::max<std::size_t>(8, length / 2);
  const auto symbols = static_cast<std::uint64_t>(alphabet > 0 ? std::min(alphabet, vocabulary) : vocabulary);
  example.tokens.push_back(vocabulary);  // BOS: the id after the last ordinary token
  for (std::size_t i = 0; i < listed; ++i) {
    example.tokens.push_back(
        static_cast<std::int64_t>(rng.below(symbols) * static_cast<std::uint64_t>(vocabulary) / symbols));
  }
  example.weights.assign(example.tokens.size(), 0.0f);
  while (example.tokens.size() < length) {
    const std::size_t span = std::min<std::size_t>(rng.between(4, 16), length - example.tokens.size());
    const std::size_t from = 1 + rng.below(listed - span + 1);
    for (std::size_t i = 0; i < span; ++i) {
      example.tokens.push_back(example.tokens[from + i]);
      example.weights.push_back(0.0f);
      if (i > 0) example.weights[example.tokens.size() - 2] = 1.0f;
    }
  }
  example.answer_begin = example.answer_end = example.tokens.size();
  return example;
}

}  // namespace evomem::training
