// Prompt building: template fill, InfiniteBench fields, BOS, chat template and middle
// truncation that keeps exactly the first and last halves within the answer budget.

#include <gtest/gtest.h>

#include <numeric>

#include "core/error.h"
#include "tasks/prompt_builder.h"

namespace evomem::tasks {
namespace {

// One token per byte; BOS = 1000. Enough to check every count exactly.
TokenizerFunctions byte_tokenizer() {
  TokenizerFunctions tokenizer;
  tokenizer.encode = [](std::string_view text) {
    std::vector<std::int64_t> ids;
    for (const unsigned char c : text) ids.push_back(c);
    return ids;
  };
  tokenizer.bos_id = 1000;
  return tokenizer;
}

TaskSpec task_with(const std::string& prompt_template, int max_new_tokens) {
  TaskSpec task;
  task.name = "t";
  task.prompt_template = prompt_template;
  task.max_new_tokens = max_new_tokens;
  return task;
}

TEST(FillTemplate, PythonFormatSemantics) {
  EXPECT_EQ(fill_template("{context}|{input}|{{x}}", {{"context", "C"}, {"input", "I"}}, "t"), "C|I|{x}");
  EXPECT_EQ(fill_template("{a}{a}", {{"a", "{input}"}}, "t"), "{input}{input}");  // values are not re-read
  EXPECT_THROW(fill_template("{missing}", {}, "t"), InputError);
  EXPECT_THROW(fill_template("a } b", {}, "t"), InputError);
  EXPECT_THROW(fill_template("a { b", {}, "t"), InputError);
  EXPECT_EQ(template_fields("{context} {input} {context}", "t"), (std::vector<std::string>{"context", "input"}));
}

TEST(TruncateMiddle, KeepsExactlyTheFirstAndLastHalves) {
  std::vector<int> tokens(10);
  std::iota(tokens.begin(), tokens.end(), 0);
  EXPECT_EQ(truncate_middle(tokens, 4), (std::vector<int>{0, 1, 8, 9}));
  EXPECT_EQ(truncate_middle(tokens, 5), (std::vector<int>{0, 1, 7, 8, 9}));
  EXPECT_EQ(truncate_middle(tokens, 10), tokens);
  EXPECT_EQ(truncate_middle(tokens, 0), std::vector<int>{});
}

TEST(BuildPrompt, TruncatesToLeaveRoomForTheAnswer) {
  const auto task = task_with("{context}", 4);
  PromptOptions options;
  options.context_window = 16;  // 1 BOS + 11 text tokens + 4 answer tokens
  const auto prompt = build_prompt(task, {{"context", "abcdefghijklmnopqrstuvwxyz"}}, byte_tokenizer(), options, "t");
  EXPECT_TRUE(prompt.truncated);
  EXPECT_EQ(prompt.untruncated_tokens, 27u);
  ASSERT_EQ(prompt.tokens.size(), 12u);
  EXPECT_EQ(prompt.tokens.front(), 1000);
  const std::string kept(prompt.tokens.begin() + 1, prompt.tokens.end());
  EXPECT_EQ(kept, "abcde"
                  "uvwxyz");  // 11 tokens: the first 5 and the last 6
  EXPECT_LE(prompt.tokens.size() + static_cast<std::size_t>(task.max_new_tokens), options.context_window);
}

TEST(BuildPrompt, ShortPromptsAreUntouched) {
  const auto task = task_with("Q: {input}", 2);
  PromptOptions options;
  options.add_bos = false;
  const auto prompt = build_prompt(task, {{"input", "hi"}}, byte_tokenizer(), options, "t");
  EXPECT_FALSE(prompt.truncated);
  EXPECT_EQ(std::string(prompt.tokens.begin(), prompt.tokens.end()), "Q: hi");
}

TEST(BuildPrompt, ChatTemplateOnlyWhenAskedAndAllowed) {
  auto task = task_with("{input}", 2);
  PromptOptions options;
  options.add_bos = false;
  options.use_chat_template = true;
  options.chat_template = {"<u>", "</u>"};
  auto prompt = build_prompt(task, {{"input", "hi"}}, byte_tokenizer(), options, "t");
  EXPECT_EQ(std::string(prompt.tokens.begin(), prompt.tokens.end()), "<u>hi</u>");
  task.chat_template_allowed = false;
  prompt = build_prompt(task, {{"input", "hi"}}, byte_tokenizer(), options, "t");
  EXPECT_EQ(std::string(prompt.tokens.begin(), prompt.tokens.end()), "hi");
  // The markers count against the window, the middle of the text goes.
  task.chat_template_allowed = true;
  options.context_window = 12;  // 3 + 4 markers + 2 answer -> 3 text tokens
  prompt = build_prompt(task, {{"input", "abcdefgh"}}, byte_tokenizer(), options, "t");
  EXPECT_EQ(std::string(prompt.tokens.begin(), prompt.tokens.end()), "<u>agh</u>");
}

TEST(BuildPrompt, WindowTooSmallIsAnInputError) {
  const auto task = task_with("{input}", 8);
  PromptOptions options;
  options.context_window = 9;  // BOS + 8 answer tokens leave nothing for the text
  EXPECT_THROW(build_prompt(task, {{"input", "x"}}, byte_tokenizer(), options, "t"), InputError);
}

TEST(InfiniteBenchFields, PrefixOptionsAndFunctionCall) {
  InfiniteBenchSample sample;
  sample.context = "1 2 3";
  sample.input = "What is the largest number? The largest number is";
  sample.options = {"a", "b", "c", "d"};
  auto fields = infinitebench_fields(sample);
  EXPECT_EQ(fields.at("prefix"), "What is the largest number in the following list?");
  EXPECT_EQ(fields.at("question"), sample.input);
  EXPECT_EQ(fields.at("OPTION_D"), "d");
  sample.input = "Please give me the exact value of func_3(-12)";
  fields = infinitebench_fields(sample);
  EXPECT_EQ(fields.at("func_call"), "func_3(-12)");
  EXPECT_EQ(fields.at("func"), "func_3");
  EXPECT_EQ(fields.count("prefix"), 0u);
}

}  // namespace
}  // namespace evomem::tasks
