// Task registry: published templates (golden files written from LongBench's
// config/dataset2prompt.json and InfiniteBench's src/prompt.py), generation lengths, metrics,
// answer rules, and user tasks from TOML.

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "core/error.h"
#include "core/files.h"
#include "tasks/prompt_builder.h"
#include "tasks/task_registry.h"
#include "tests/support/test_support.h"

namespace evomem::tasks {
namespace {

const std::string kPromptDir = std::string(EVOMEM_SOURCE_DIR) + "/tests/tasks/data/prompts/";

// The field values the golden files were filled with.
PromptFields golden_fields() {
  return {{"context", "<<CONTEXT>>\nline two"},
          {"input", "<<INPUT>>"},
          {"question", "<<INPUT>>"},
          {"OPTION_A", "<<A>>"},
          {"OPTION_B", "<<B>>"},
          {"OPTION_C", "<<C>>"},
          {"OPTION_D", "<<D>>"},
          {"prefix", "<<PREFIX>>"},
          {"func", "<<FUNC>>"},
          {"func_call", "<<FUNC_CALL>>"}};
}

TEST(TaskRegistry, HasEveryPublishedTask) {
  const auto registry = TaskRegistry::builtin();
  EXPECT_EQ(longbench_task_names().size(), 21u);
  EXPECT_EQ(infinitebench_task_names().size(), 10u);
  EXPECT_EQ(registry.names().size(), 31u);
  for (const auto& name : longbench_task_names()) EXPECT_EQ(registry.get(name).format, DatasetFormat::kLongBench);
  for (const auto& name : infinitebench_task_names()) {
    EXPECT_EQ(registry.get(name).format, DatasetFormat::kInfiniteBench);
  }
  EXPECT_THROW(registry.get("nope"), InputError);
}

TEST(TaskRegistry, TemplatesMatchGoldenFiles) {
  const auto registry = TaskRegistry::builtin();
  for (const auto& [name, task] : registry.tasks()) {
    const std::string golden = core::read_text_file(kPromptDir + name + ".txt");
    EXPECT_EQ(fill_template(task.prompt_template, golden_fields(), name), golden) << name;
  }
}

TEST(TaskRegistry, LengthsMetricsAndRules) {
  const auto registry = TaskRegistry::builtin();
  const std::map<std::string, std::pair<int, metrics::Metric>> expected = {
      {"narrativeqa", {128, metrics::Metric::kQaF1}},
      {"qasper", {128, metrics::Metric::kQaF1}},
      {"multifieldqa_en", {64, metrics::Metric::kQaF1}},
      {"multifieldqa_zh", {64, metrics::Metric::kQaF1Zh}},
      {"hotpotqa", {32, metrics::Metric::kQaF1}},
      {"2wikimqa", {32, metrics::Metric::kQaF1}},
      {"musique", {32, metrics::Metric::kQaF1}},
      {"dureader", {128, metrics::Metric::kRougeZh}},
      {"gov_report", {512, metrics::Metric::kRouge}},
      {"qmsum", {512, metrics::Metric::kRouge}},
      {"multi_news", {512, metrics::Metric::kRouge}},
      {"vcsum", {512, metrics::Metric::kRougeZh}},
      {"trec", {64, metrics::Metric::kClassification}},
      {"triviaqa", {32, metrics::Metric::kQaF1}},
      {"samsum", {128, metrics::Metric::kRouge}},
      {"lsht", {64, metrics::Metric::kClassification}},
      {"passage_count", {32, metrics::Metric::kCount}},
      {"passage_retrieval_en", {32, metrics::Metric::kRetrieval}},
      {"passage_retrieval_zh", {32, metrics::Metric::kRetrievalZh}},
      {"lcc", {64, metrics::Metric::kCodeSim}},
      {"repobench-p", {64, metrics::Metric::kCodeSim}},
      {"passkey", {6, metrics::Metric::kPasskey}},
      {"number_string", {12, metrics::Metric::kPasskey}},
      {"kv_retrieval", {50, metrics::Metric::kKvRetrieval}},
      {"longbook_qa_eng", {40, metrics::Metric::kQaF1}},
      {"longbook_choice_eng", {40, metrics::Metric::kChoice}},
      {"longdialogue_qa_eng", {40, metrics::Metric::kDialogue}},
      {"math_find", {3, metrics::Metric::kMathFind}},
      {"code_run", {5, metrics::Metric::kCodeRun}},
      {"code_debug", {5, metrics::Metric::kCodeDebug}},
      {"longbook_sum_eng", {1200, metrics::Metric::kRougeLsum}}};
  ASSERT_EQ(expected.size(), registry.tasks().size());
  for (const auto& [name, length_metric] : expected) {
    const auto& task = registry.get(name);
    EXPECT_EQ(task.max_new_tokens, length_metric.first) << name;
    EXPECT_EQ(task.metric, length_metric.second) << name;
    const bool first_line = name == "trec" || name == "triviaqa" || name == "samsum" || name == "lsht";
    EXPECT_EQ(task.first_line_only, first_line) << name;
  }
  EXPECT_EQ(registry.get("samsum").stop_strings, std::vector<std::string>{"\n"});
  EXPECT_TRUE(registry.get("qasper").stop_strings.empty());
  EXPECT_FALSE(registry.get("lcc").chat_template_allowed);
  EXPECT_TRUE(registry.get("qasper").chat_template_allowed);
}

TEST(TaskRegistry, UserTasksFromToml) {
  test_support::TempDirectory dir("tasks_registry");
  const auto path = dir / "my_tasks.toml";
  std::ofstream(path) << "[tasks.city_qa]\n"
                         "template = \"Text: {context}\\nQ: {input}\\nA:\"\n"
                         "metric = \"qa_f1\"\n"
                         "max_new_tokens = 16\n"
                         "stop = [\"\\n\"]\n"
                         "[tasks.qasper]\n"
                         "template = \"{context} {input}\"\n"
                         "metric = \"rouge\"\n"
                         "max_new_tokens = 8\n";
  auto registry = TaskRegistry::builtin();
  registry.add_from_toml(path);
  const auto& task = registry.get("city_qa");
  EXPECT_EQ(task.max_new_tokens, 16);
  EXPECT_EQ(task.metric, metrics::Metric::kQaF1);
  EXPECT_EQ(task.stop_strings, std::vector<std::string>{"\n"});
  EXPECT_EQ(task.data_file, "city_qa.jsonl");
  EXPECT_EQ(fill_template(task.prompt_template, {{"context", "c"}, {"input", "i"}}, "t"), "Text: c\nQ: i\nA:");
  EXPECT_EQ(registry.get("qasper").metric, metrics::Metric::kRouge);  // user tasks override by name
  EXPECT_EQ(registry.names().size(), 32u);
}

TEST(TaskRegistry, BadUserTasksNameFileAndKey) {
  test_support::TempDirectory dir("tasks_registry");
  const auto bad_metric = dir / "bad_metric.toml";
  std::ofstream(bad_metric) << "[tasks.x]\ntemplate = \"{context}\"\nmetric = \"bleu\"\nmax_new_tokens = 4\n";
  auto registry = TaskRegistry::builtin();
  try {
    registry.add_from_toml(bad_metric);
    FAIL() << "no error";
  } catch (const ConfigError& error) {
    EXPECT_NE(std::string(error.what()).find("tasks.x.metric"), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find("bad_metric.toml"), std::string::npos) << error.what();
  }
  const auto missing = dir / "missing.toml";
  std::ofstream(missing) << "[tasks.y]\ntemplate = \"{context}\"\nmetric = \"qa_f1\"\n";
  EXPECT_THROW(registry.add_from_toml(missing), ConfigError);
  const auto unknown_key = dir / "unknown.toml";
  std::ofstream(unknown_key)
      << "[tasks.z]\ntemplate = \"{context}\"\nmetric = \"qa_f1\"\nmax_new_tokens = 3\nmax_tokens = 4\n";
  EXPECT_THROW(registry.add_from_toml(unknown_key), ConfigError);
  const auto bad_template = dir / "template.toml";
  std::ofstream(bad_template) << "[tasks.w]\ntemplate = \"{context\"\nmetric = \"qa_f1\"\nmax_new_tokens = 3\n";
  EXPECT_THROW(registry.add_from_toml(bad_template), InputError);
}

}  // namespace
}  // namespace evomem::tasks
