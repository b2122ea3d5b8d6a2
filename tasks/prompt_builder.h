#pragma once
// Prompt building: template fill (Python str.format semantics), optional BOS, optional chat
// template (off by default, as in the NAMM reference), and middle truncation by tokens that
// keeps the first and last halves and leaves room for the answer.
//
// The tokenizer is passed as functions so that this module does not depend on the model
// library; model::Tokenizer plugs in with a two-line adapter.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tasks/infinitebench_dataset.h"
#include "tasks/longbench_dataset.h"
#include "tasks/task_registry.h"

namespace evomem::tasks {

using PromptFields = std::map<std::string, std::string>;

// Replaces {name} by fields[name]; "{{" and "}}" are literal braces. InputError naming
// `where` for an unknown field or a lone brace (Python raises KeyError / ValueError).
std::string fill_template(std::string_view prompt_template, const PromptFields& fields, const std::string& where);
// The field names a template uses, in order of first use.
std::vector<std::string> template_fields(std::string_view prompt_template, const std::string& where);

// {context} and {input} of a LongBench sample.
PromptFields longbench_fields(const LongBenchSample& sample);
// {context}, {input}, {question} (= input), {OPTION_A}..{OPTION_D} (options present),
// {prefix} (math_find: "What is the <x> number in the following list?" from "The <x> number"
// in the input) and {func_call} / {func} (the first "name(...)" call in the input).
PromptFields infinitebench_fields(const InfiniteBenchSample& sample);

// The tokenizer, as functions. `encode` must not add special tokens; added tokens written in
// the text (chat markers) must come out as their ids.
struct TokenizerFunctions {
  std::function<std::vector<std::int64_t>(std::string_view)> encode;
  std::optional<std::int64_t> bos_id;
};

// Text around the user's prompt when the chat template is on.
struct ChatTemplate {
  std::string before;
  std::string after;
  static ChatTemplate llama3();
};

struct PromptOptions {
  bool add_bos = true;
  bool use_chat_template = false;  // only for tasks that allow it (TaskSpec)
  ChatTemplate chat_template = ChatTemplate::llama3();
  std::size_t context_window = 32768;  // prompt + answer must fit: prompt <= window - max_new_tokens
};

// A tokenized prompt.
struct Prompt {
  std::vector<std::int64_t> tokens;
  std::size_t untruncated_tokens = 0;  // prompt tokens before truncation (BOS and chat included)
  bool truncated = false;
};

// Keeps tokens[0 .. max/2) and the last max - max/2 tokens when there are more than `max`.
template <typename T>
std::vector<T> truncate_middle(const std::vector<T>& tokens, std::size_t max_tokens) {
  if (tokens.size() <= max_tokens) return tokens;
  const std::size_t head = max_tokens / 2;
  const std::size_t tail = max_tokens - head;
  std::vector<T> kept(tokens.begin(), tokens.begin() + static_cast<std::ptrdiff_t>(head));
  kept.insert(kept.end(), tokens.end() - static_cast<std::ptrdiff_t>(tail), tokens.end());
  return kept;
}

// Fills the task's template, tokenizes, truncates the filled text in the middle so that
// BOS + chat markers + text + max_new_tokens fit in the context window, and adds BOS and the
// chat template. InputError if the window cannot hold even the markers and the answer.
Prompt build_prompt(const TaskSpec& task, const PromptFields& fields, const TokenizerFunctions& tokenizer,
                    const PromptOptions& options, const std::string& where);

}  // namespace evomem::tasks
