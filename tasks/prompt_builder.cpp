#include "tasks/prompt_builder.h"

#include <algorithm>

#include "core/error.h"
#include "core/utf8.h"
#include "metrics/utf8_text.h"

namespace evomem::tasks {
namespace {

// Walks a template; calls `literal` for text and `field` for each {name}.
template <typename Literal, typename Field>
void scan_template(std::string_view text, const std::string& where, Literal&& literal, Field&& field) {
  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '{') {
      if (i + 1 < text.size() && text[i + 1] == '{') {
        literal(std::string_view("{"));
        i += 2;
        continue;
      }
      const std::size_t close = text.find('}', i + 1);
      if (close == std::string_view::npos) {
        throw InputError(where + ": prompt template has a '{' without '}' (write '{{' for a literal brace)");
      }
      const std::string_view name = text.substr(i + 1, close - i - 1);
      if (name.empty() || name.find('{') != std::string_view::npos) {
        throw InputError(where + ": prompt template has an empty or malformed field at byte " + std::to_string(i));
      }
      field(std::string(name));
      i = close + 1;
      continue;
    }
    if (c == '}') {
      if (i + 1 < text.size() && text[i + 1] == '}') {
        literal(std::string_view("}"));
        i += 2;
        continue;
      }
      throw InputError(where + ": prompt template has a single '}' at byte " + std::to_string(i) +
                       " (write '}}' for a literal brace)");
    }
    const std::size_t next = text.find_first_of("{}", i);
    const std::size_t end = next == std::string_view::npos ? text.size() : next;
    literal(text.substr(i, end - i));
    i = end;
  }
}

bool is_identifier_start(char32_t c) { return c == U'_' || (c < 128 && ((c | 32) >= 'a' && (c | 32) <= 'z')); }
bool is_identifier_char(char32_t c) { return is_identifier_start(c) || (c >= U'0' && c <= U'9'); }

}  // namespace

std::string fill_template(std::string_view prompt_template, const PromptFields& fields, const std::string& where) {
  std::string out;
  out.reserve(prompt_template.size());
  scan_template(
      prompt_template, where, [&](std::string_view text) { out.append(text); },
      [&](const std::string& name) {
        const auto found = fields.find(name);
        if (found == fields.end()) {
          throw InputError(where + ": prompt template field '{" + name + "}' has no value for this sample");
        }
        out += found->second;
      });
  return out;
}

std::vector<std::string> template_fields(std::string_view prompt_template, const std::string& where) {
  std::vector<std::string> names;
  scan_template(
      prompt_template, where, [](std::string_view) {},
      [&](const std::string& name) {
        if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
      });
  return names;
}

PromptFields longbench_fields(const LongBenchSample& sample) {
  return {{"context", sample.context}, {"input", sample.input}};
}

PromptFields infinitebench_fields(const InfiniteBenchSample& sample) {
  PromptFields fields{{"context", sample.context}, {"input", sample.input}, {"question", sample.input}};
  const char* option_names[] = {"OPTION_A", "OPTION_B", "OPTION_C", "OPTION_D"};
  for (std::size_t i = 0; i < sample.options.size() && i < 4; ++i) fields[option_names[i]] = sample.options[i];
  // math_find: InfiniteBench's create_prompt asks "What is the <x> number in the following
  // list?" for the first "The <x> number" of the input (regex `The \w+ number`).
  const std::u32string input = core::utf8_to_code_points(sample.input);
  for (std::size_t at = input.find(U"The "); at != std::u32string::npos; at = input.find(U"The ", at + 1)) {
    std::size_t end = at + 4;
    while (end < input.size() && metrics::is_python_word_char(input[end])) ++end;
    if (end > at + 4 && input.compare(end, 7, U" number") == 0) {
      const std::u32string phrase = metrics::python_lower(input.substr(at, end + 7 - at));
      fields["prefix"] = "What is " + core::code_points_to_utf8(phrase) + " in the following list?";
      break;
    }
  }
  // code_run: the call to evaluate, e.g. "func_12(3)"; the published loader reads it from
  // fields the published files do not have, so it is taken from the input.
  for (std::size_t i = 0; i < input.size(); ++i) {
    if (!is_identifier_start(input[i]) || (i > 0 && is_identifier_char(input[i - 1]))) continue;
    std::size_t end = i;
    while (end < input.size() && is_identifier_char(input[end])) ++end;
    if (end < input.size() && input[end] == U'(') {
      const std::size_t close = input.find(U')', end);
      if (close != std::u32string::npos) {
        fields["func"] = core::code_points_to_utf8(input.substr(i, end - i));
        fields["func_call"] = core::code_points_to_utf8(input.substr(i, close + 1 - i));
        break;
      }
    }
  }
  return fields;
}

ChatTemplate ChatTemplate::llama3() {
  return {"<|start_header_id|>user<|end_header_id|>\n\n",
          "<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"};
}

Prompt build_prompt(const TaskSpec& task, const PromptFields& fields, const TokenizerFunctions& tokenizer,
                    const PromptOptions& options, const std::string& where) {
  const std::string text = fill_template(task.prompt_template, fields, where);
  const std::vector<std::int64_t> body = tokenizer.encode(text);
  std::vector<std::int64_t> before;
  std::vector<std::int64_t> after;
  if (options.add_bos) {
    if (!tokenizer.bos_id) throw InputError(where + ": BOS requested but the tokenizer has no BOS token");
    before.push_back(*tokenizer.bos_id);
  }
  if (options.use_chat_template && task.chat_template_allowed) {
    const auto opening = tokenizer.encode(options.chat_template.before);
    before.insert(before.end(), opening.begin(), opening.end());
    after = tokenizer.encode(options.chat_template.after);
  }
  const std::size_t fixed = before.size() + after.size() + static_cast<std::size_t>(task.max_new_tokens);
  if (options.context_window <= fixed) {
    throw InputError(where + ": context window of " + std::to_string(options.context_window) +
                     " tokens cannot hold the prompt markers and " + std::to_string(task.max_new_tokens) +
                     " new tokens; raise the context window");
  }
  const std::size_t budget = options.context_window - fixed;
  Prompt prompt;
  prompt.untruncated_tokens = before.size() + body.size() + after.size();
  prompt.truncated = body.size() > budget;
  const std::vector<std::int64_t> kept = truncate_middle(body, budget);
  prompt.tokens = before;
  prompt.tokens.insert(prompt.tokens.end(), kept.begin(), kept.end());
  prompt.tokens.insert(prompt.tokens.end(), after.begin(), after.end());
  return prompt;
}

}  // namespace evomem::tasks
