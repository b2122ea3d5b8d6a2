// LongBench / InfiniteBench readers: published layout, streaming limits, and one clear error
// (file:line and field) per kind of bad input.

#include <gtest/gtest.h>

#include <fstream>

#include "core/error.h"
#include "tasks/infinitebench_dataset.h"
#include "tasks/longbench_dataset.h"
#include "tests/support/test_support.h"

namespace evomem::tasks {
namespace {

std::filesystem::path write(const test_support::TempDirectory& dir, const std::string& name, const std::string& text) {
  const auto path = dir / name;
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

const char* kLongBenchLine =
    R"({"input": "What?", "context": "Long text", "answers": ["yes", "Yes"], "length": 2, "dataset": "qasper", )"
    R"("language": "en", "all_classes": null, "_id": "abc"})";

std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const FormatError& error) {
    return error.what();
  }
  return "no error";
}

TEST(LongBenchDataset, ReadsPublishedFields) {
  test_support::TempDirectory dir("tasks_datasets");
  const auto path = write(dir, "qasper.jsonl",
                          std::string(kLongBenchLine) + "\n\n" +
                              R"({"input": "", "context": "c", "answers": ["HUM"], "length": 1, "dataset": "trec", )"
                              R"("language": "en", "all_classes": ["HUM", "LOC"], "_id": "x2"})" +
                              "\n");
  const auto samples = read_longbench_file(path);
  ASSERT_EQ(samples.size(), 2u);
  EXPECT_EQ(samples[0].input, "What?");
  EXPECT_EQ(samples[0].answers, (std::vector<std::string>{"yes", "Yes"}));
  EXPECT_EQ(samples[0].length, 2);
  EXPECT_EQ(samples[0].dataset, "qasper");
  EXPECT_TRUE(samples[0].all_classes.empty());
  EXPECT_EQ(samples[0].id, "abc");
  EXPECT_EQ(samples[1].all_classes, (std::vector<std::string>{"HUM", "LOC"}));
  EXPECT_EQ(read_longbench_file(path, 1).size(), 1u);
}

TEST(LongBenchDataset, ErrorsNameFileLineAndField) {
  test_support::TempDirectory dir("tasks_datasets");
  const std::string good = std::string(kLongBenchLine) + "\n";
  const auto missing = write(dir, "missing.jsonl",
                             good + R"({"input": "q", "context": "c", "answers": ["a"]})"
                                    "\n");
  EXPECT_NE(error_of([&] { read_longbench_file(missing); }).find("missing.jsonl:2: field 'length' is missing"),
            std::string::npos);
  const auto wrong = write(
      dir, "wrong.jsonl",
      std::string(kLongBenchLine).replace(std::string(kLongBenchLine).find("\"length\": 2"), 11, "\"length\": \"2\"") +
          "\n");
  EXPECT_NE(error_of([&] {
              read_longbench_file(wrong);
            }).find("wrong.jsonl:1: field 'length' must be an integer, got string"),
            std::string::npos);
  std::string empty_answers = kLongBenchLine;
  empty_answers.replace(empty_answers.find("[\"yes\", \"Yes\"]"), 14, "[]");
  const auto empty = write(dir, "empty.jsonl", empty_answers + "\n");
  EXPECT_NE(error_of([&] { read_longbench_file(empty); }).find("empty.jsonl:1: field 'answers' is empty"),
            std::string::npos);
  std::string bad_bytes = kLongBenchLine;
  bad_bytes.replace(bad_bytes.find("Long"), 4, "Lo\xff\xfe");
  const auto utf8 = write(dir, "utf8.jsonl", good + bad_bytes + "\n");
  EXPECT_NE(error_of([&] { read_longbench_file(utf8); }).find("utf8.jsonl:2: invalid UTF-8 at byte"),
            std::string::npos);
  const auto json = write(dir, "json.jsonl", "{\"input\": \n");
  EXPECT_NE(error_of([&] { read_longbench_file(json); }).find("json.jsonl:1: invalid JSON"), std::string::npos);
  const auto item = write(
      dir, "item.jsonl",
      std::string(kLongBenchLine).replace(std::string(kLongBenchLine).find("\"Yes\""), 5, "3") + "\n");
  EXPECT_NE(error_of([&] { read_longbench_file(item); }).find("field 'answers' item 1 must be a string"),
            std::string::npos);
  EXPECT_THROW(read_longbench_file(dir / "absent.jsonl"), InputError);
}

// fuzz/corpus/jsonl/finding-number-overflow.jsonl: a number beyond double's range was an
// uncaught nlohmann::json exception (out_of_range 406), not a FormatError naming the line.
TEST(LongBenchDataset, NumberOverflowIsAFormatError) {
  test_support::TempDirectory dir("tasks_datasets");
  const auto path = write(
      dir, "overflow.jsonl",
      std::string(kLongBenchLine).replace(std::string(kLongBenchLine).find("\"length\": 2"), 11, "\"length\": 1e999") +
          "\n");
  EXPECT_NE(error_of([&] {
              read_longbench_file(path);
            }).find("overflow.jsonl:1: invalid JSON (number overflow parsing '1e999')"),
            std::string::npos);
  const auto infinite = write(dir, "infinite.jsonl",
                              R"({"id": 1, "context": "c", "input": "", "answer": [2e400]})"
                              "\n");
  EXPECT_NE(error_of([&] { read_infinitebench_file(infinite); }).find("infinite.jsonl:1: invalid JSON"),
            std::string::npos);
}

TEST(LongBenchDataset, StreamsWithoutReadingPastTheLimit) {
  test_support::TempDirectory dir("tasks_datasets");
  // The second line is broken; a limit of one sample never reads it.
  const auto path = write(dir, "stream.jsonl", std::string(kLongBenchLine) + "\n{broken\n");
  std::size_t visited = 0;
  for_each_longbench_sample(
      path, [&](LongBenchSample&&) { ++visited; }, 1);
  EXPECT_EQ(visited, 1u);
  EXPECT_THROW(read_longbench_file(path), FormatError);
}

TEST(InfiniteBenchDataset, ReadsStringListAndNumberAnswers) {
  test_support::TempDirectory dir("tasks_datasets");
  const auto path = write(dir, "ib.jsonl",
                          R"({"id": 0, "context": "ctx", "input": "q", "answer": ["71432"], "options": []})"
                          "\n"
                          R"({"id": 1, "context": "ctx", "input": "q", "answer": "B", "options": ["a", "b", "c", "d"]})"
                          "\n"
                          R"({"id": 2, "context": "ctx", "input": "q", "answer": [42, 3.5], "options": []})"
                          "\n");
  const auto samples = read_infinitebench_file(path);
  ASSERT_EQ(samples.size(), 3u);
  EXPECT_EQ(samples[0].id, "0");
  EXPECT_EQ(answer_texts(samples[0].answers), (std::vector<std::string>{"71432"}));
  EXPECT_EQ(samples[1].answers.size(), 1u);
  EXPECT_EQ(samples[1].options.size(), 4u);
  EXPECT_EQ(samples[2].answers[0].kind, metrics::Answer::Kind::kInteger);
  EXPECT_EQ(samples[2].answers[1].kind, metrics::Answer::Kind::kNumber);
  EXPECT_EQ(samples[2].answers[0].text, "42");
}

TEST(InfiniteBenchDataset, ErrorsNameFileLineAndField) {
  test_support::TempDirectory dir("tasks_datasets");
  const auto empty = write(dir, "e.jsonl",
                           R"({"id": 0, "context": "c", "input": "q", "answer": [], "options": []})"
                           "\n");
  EXPECT_NE(error_of([&] { read_infinitebench_file(empty); }).find("e.jsonl:1: field 'answer' is empty"),
            std::string::npos);
  const auto type = write(dir, "t.jsonl",
                          R"({"id": 0, "context": "c", "input": "q", "answer": [{}], "options": []})"
                          "\n");
  EXPECT_NE(error_of([&] {
              read_infinitebench_file(type);
            }).find("t.jsonl:1: field 'answer' item 0 must be a string or a number"),
            std::string::npos);
  const auto missing = write(dir, "m.jsonl",
                             R"({"id": 0, "input": "q", "answer": "a", "options": []})"
                             "\n");
  EXPECT_NE(error_of([&] { read_infinitebench_file(missing); }).find("m.jsonl:1: field 'context' is missing"),
            std::string::npos);
  const auto no_options = write(dir, "o.jsonl",
                                R"({"id": 0, "context": "c", "input": "q", "answer": "a"})"
                                "\n");
  EXPECT_NE(error_of([&] { read_infinitebench_file(no_options); }).find("o.jsonl:1: field 'options' is missing"),
            std::string::npos);
}

}  // namespace
}  // namespace evomem::tasks
